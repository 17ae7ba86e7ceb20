import KeyGateSystem
@testable import KeyGateChat
import Testing

/// The outbox hands messages to the writer in order, ends after a farewell
/// when the member falls behind, and never strands a waiting writer.
struct ChatOutboxTests {
    @Test func messagesComeOutInOrderInBatches() async {
        let outbox = ChatOutbox(capacity: 8)
        for number in 0..<5 { #expect(outbox.enqueue([UInt8(number)])) }
        #expect(await outbox.next(maximumCount: 3) == [[0], [1], [2]])
        #expect(await outbox.next(maximumCount: 3) == [[3], [4]])
        outbox.finish(with: [9])
        #expect(!outbox.enqueue([10]))
        #expect(await outbox.next() == [[9]])
        #expect(await outbox.next() == nil)
    }

    @Test func aWaitingWriterIsWokenByTheNextMessage() async throws {
        let outbox = ChatOutbox(capacity: 8)
        try await withDeadline(.after(.seconds(10)), while: "waiting for a message") {
            await withTaskGroup(of: [[UInt8]]?.self) { group in
                group.addTask { await outbox.next() }
                try? await Task.sleep(for: .milliseconds(20))
                outbox.enqueue([1])
                #expect(await group.next() == [[1]])
            }
        }
    }

    @Test func aFullOutboxEndsWithAFarewellAndOverflows() async throws {
        let outbox = ChatOutbox(capacity: 2)
        #expect(outbox.enqueue([1]))
        #expect(outbox.enqueue([2]))
        #expect(!outbox.enqueue([3]))
        try await withDeadline(.after(.seconds(10)), while: "waiting for the overflow") { await outbox.waitForOverflow() }
        let batch = await outbox.next(maximumCount: 10)
        #expect(batch?.prefix(2) == [[1], [2]])
        #expect(batch?.count == 3)
        let farewell = String(decoding: batch?.last ?? [], as: UTF8.self)
        #expect(farewell.contains("too far behind"))
        #expect(await outbox.next() == nil)
    }

    @Test func cancellationBeforeTheWaitEndsIt() async throws {
        let outbox = ChatOutbox(capacity: 2)
        try await withDeadline(.after(.seconds(10)), while: "waiting, cancelled first") {
            await withTaskGroup(of: Void.self) { group in
                group.cancelAll()
                group.addTask {
                    #expect(await outbox.next() == nil)
                    await outbox.waitForOverflow()
                }
            }
        }
    }

    @Test func cancellationDuringTheWaitEndsIt() async throws {
        let outbox = ChatOutbox(capacity: 2)
        try await withDeadline(.after(.seconds(10)), while: "waiting, cancelled while waiting") {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { #expect(await outbox.next() == nil) }
                group.addTask { await outbox.waitForOverflow() }
                try? await Task.sleep(for: .milliseconds(50))
                group.cancelAll()
            }
        }
        // Still usable by a writer that is not cancelled.
        outbox.enqueue([1])
        #expect(await outbox.next() == [[1]])
    }
}
