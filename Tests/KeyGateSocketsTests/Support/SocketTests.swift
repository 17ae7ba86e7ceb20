import KeyGateSystem
import Glibc
import KeyGateTestSupport
import Testing

@testable import KeyGateSockets

/// The parent of every suite in this target. Serialized, because each suite
/// compares the process's open sockets before and after it runs, which
/// concurrently running suites would disturb.
@Suite(.serialized, .raisedDescriptorLimit, .exclusiveNetwork)
enum SocketTests {}

/// Raises the soft limit of open descriptors to the hard limit once: the
/// echo test alone holds 2,000 sockets.
struct RaisedDescriptorLimit: SuiteTrait, TestScoping {
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? self : nil
    }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        var limit = rlimit()
        try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            try #require(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        }
        try await function()
    }
}

/// Fails a suite that leaves a socket descriptor open.
///
/// Only sockets are counted: other suites of the test process (not
/// serialized with these) may open files meanwhile, and Dispatch creates its
/// own epoll and eventfd descriptors lazily, the first time any code in the
/// process sleeps on a timer.
struct NoDescriptorLeak: SuiteTrait, TestScoping {
    func scopeProvider(for test: Test, testCase: Test.Case?) -> Self? {
        test.isSuite ? self : nil
    }

    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        _ = EventLoop.shared
        let before = try openSocketDescriptors()
        try await function()
        let after = try openSocketDescriptors()
        #expect(after == before, "\(test.name) left \(after - before) socket descriptors open")
    }
}

extension Trait where Self == NoDescriptorLeak {
    /// See `NoDescriptorLeak`.
    static var noDescriptorLeak: Self { NoDescriptorLeak() }
}

extension Trait where Self == RaisedDescriptorLimit {
    /// See `RaisedDescriptorLimit`.
    static var raisedDescriptorLimit: Self { RaisedDescriptorLimit() }
}

/// The number of this process's descriptors that are sockets, from
/// /proc/self/fd.
func openSocketDescriptors() throws -> Int {
    guard let directory = opendir("/proc/self/fd") else {
        throw SystemError.callFailed(call: "opendir", errno: errno, address: nil)
    }
    defer { closedir(directory) }
    let ownDescriptor = dirfd(directory)
    var count = 0
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
            String(decoding: bytes.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        guard let number = Int32(name), number != ownDescriptor else { continue }
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/self/fd/\(name)", &target, target.count - 1)
        guard length > 0 else { continue }
        let text = String(decoding: target[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if text.hasPrefix("socket:") {
            count += 1
        }
    }
    return count
}
