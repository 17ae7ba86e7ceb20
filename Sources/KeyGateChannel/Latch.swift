import Synchronization

/// A one-way gate that tasks wait at until someone opens it: the signal for
/// "this has happened" (every receipt came back, a writer finished), so
/// that waiters are resumed at that moment instead of polling.
///
/// Once open it stays open. `wait()` returns at once on an open latch, and
/// promptly when the waiting task is cancelled, so it combines with
/// `withDeadline` for a bounded wait.
public final class Latch: Sendable {
    private struct State {
        var isOpen = false
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Whether `open()` has been called.
    public var isOpen: Bool { state.withLock { $0.isOpen } }

    /// Opens the latch and resumes every waiter. Idempotent.
    public func open() {
        let waiters: [CheckedContinuation<Void, Never>] = state.withLock { state in
            guard !state.isOpen else { return [] }
            state.isOpen = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the latch is open, or when the task is cancelled.
    public func wait() async {
        let id = state.withLock { state in
            defer { state.nextWaiter += 1 }
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.isOpen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
