import KeyGateSystem
import Glibc
import Testing

@testable import KeyGateSockets

extension SocketTests {
    struct SystemCallTests {
        @Test func resultsPassThrough() throws {
            guard case let .completed(value) = try SystemCall.run("read", { Int(5) }) else {
                Issue.record("expected a completed call")
                return
            }
            #expect(value == 5)
        }

        @Test(arguments: [EAGAIN, EWOULDBLOCK, EINPROGRESS])
        func wouldBlockIsAValueNotAnError(code: Int32) throws {
            let result = try SystemCall.run("connect") { () -> Int32 in
                errno = code
                return -1
            }
            guard case .wouldBlock = result else {
                Issue.record("expected .wouldBlock for errno \(code)")
                return
            }
        }

        @Test func interruptedCallsAreRetried() throws {
            var attempts = 0
            let result = try SystemCall.runNow("accept") { () -> Int32 in
                attempts += 1
                if attempts < 3 {
                    errno = EINTR
                    return -1
                }
                return 7
            }
            #expect(result == 7)
            #expect(attempts == 3)
        }

        @Test func otherErrorsNameTheCallAndAddress() throws {
            let address = try SocketAddress(host: "127.0.0.1", port: 9)
            #expect(throws: SystemError.callFailed(call: "connect", errno: ECONNREFUSED, address: address)) {
                try SystemCall.run("connect", address: address) { () -> Int32 in
                    errno = ECONNREFUSED
                    return -1
                }
            }
        }
    }

    struct DeadlineTests {
        @Test func deadlinesAreOrderedAndSaturate() {
            let soon = Deadline.after(.milliseconds(10))
            let later = Deadline.after(.seconds(10))
            #expect(soon < later)
            #expect(!later.hasPassed())
            #expect(Deadline.after(.seconds(-5)).hasPassed())
            #expect(Deadline.after(.seconds(Int64.max)).nanoseconds > later.nanoseconds)
            #expect(Deadline.after(nil as Duration?) == nil)
        }
    }
}
