import KeyGateSystem
import Testing

@testable import KeyGateSockets

extension SocketTests {
    struct TimerQueueTests {
        private let registration = Registration(descriptor: 0, generation: 1, loop: .shared)

        @Test func expiresInDeadlineOrderAndSkipsRemovedTimers() {
            var queue = TimerQueue()
            var generator = SystemRandomNumberGenerator()
            var ids: [UInt64: UInt64] = [:]
            for waiter in 0..<500 as Range<UInt64> {
                let deadline = Deadline(nanoseconds: UInt64.random(in: 1...1_000_000, using: &generator))
                let id = queue.insert(deadline: deadline, registration: registration, direction: .read, waiterID: waiter)
                ids[waiter] = id
            }
            for waiter in stride(from: 0 as UInt64, to: 500, by: 3) {
                queue.remove(ids[waiter]!)
            }
            queue.remove(999_999)  // unknown ids are ignored
            #expect(queue.count == 500 - 167)

            var expired: [TimerQueue.Entry] = []
            queue.removeExpired(at: Deadline(nanoseconds: 500_000), into: &expired)
            queue.removeExpired(at: Deadline(nanoseconds: 1_000_000), into: &expired)
            #expect(queue.count == 0)
            #expect(queue.earliest == nil)
            #expect(expired.count == 500 - 167)
            #expect(expired.map(\.deadline) == expired.map(\.deadline).sorted())
            #expect(expired.allSatisfy { $0.waiterID % 3 != 0 })
        }

        @Test func nothingExpiresBeforeItsDeadline() {
            var queue = TimerQueue()
            _ = queue.insert(
                deadline: Deadline(nanoseconds: 100), registration: registration, direction: .write, waiterID: 1)
            var expired: [TimerQueue.Entry] = []
            queue.removeExpired(at: Deadline(nanoseconds: 99), into: &expired)
            #expect(expired.isEmpty)
            #expect(queue.earliest == Deadline(nanoseconds: 100))
            queue.removeExpired(at: Deadline(nanoseconds: 100), into: &expired)
            #expect(expired.count == 1)
        }
    }
}
