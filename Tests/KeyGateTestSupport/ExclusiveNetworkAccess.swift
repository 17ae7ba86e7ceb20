import KeyGateSystem
import Testing

/// Runs a suite while no other suite with this trait runs: for suites that
/// open many sockets, measure the process's descriptors or the shared event
/// loop's timers, or depend on timing, so they neither disturb nor are
/// disturbed by each other. Suites without sockets still run alongside.
///
/// Waiting for the turn suspends the suite's task; it never blocks a thread.
public struct ExclusiveNetworkAccess: SuiteTrait, TestScoping {
    public var isRecursive: Bool { false }

    public func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? self : nil
    }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        await NetworkTestTurn.shared.acquire()
        do {
            try await function()
        } catch {
            await NetworkTestTurn.shared.release()
            throw error
        }
        await NetworkTestTurn.shared.release()
    }
}

extension Trait where Self == ExclusiveNetworkAccess {
    /// See `ExclusiveNetworkAccess`.
    public static var exclusiveNetwork: Self { ExclusiveNetworkAccess() }
}

/// A first-come, first-served turn shared by the whole test process.
actor NetworkTestTurn {
    static let shared = NetworkTestTurn()

    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard busy else {
            busy = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            busy = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
