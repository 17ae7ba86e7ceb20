import KeyGateSystem
@testable import KeyGateBenchmarks
import Testing

/// A sender waits for its own message to come back; the wait ends when it
/// does, when the session ends, or when the waiter is cancelled.
struct ReceiptWaiterTests {
    @Test func aReceiptThatCameFirstIsFoundAtOnce() async {
        let receipts = ReceiptWaiter()
        receipts.arrived("bench 0 1")
        #expect(await receipts.wait(for: "bench 0 1"))
    }

    @Test func aWaitEndsWhenItsReceiptArrives() async throws {
        let receipts = ReceiptWaiter()
        try await withDeadline(.after(.seconds(60)), while: "waiting for a receipt") {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await receipts.wait(for: "bench 0 2") }
                try? await Task.sleep(for: .milliseconds(20))
                receipts.arrived("bench 0 1")
                receipts.arrived("bench 0 2")
                #expect(await group.next() == true)
            }
        }
        // The other receipt is kept for its own wait.
        #expect(await receipts.wait(for: "bench 0 1"))
    }

    @Test func theEndOfTheSessionEndsTheWait() async throws {
        let receipts = ReceiptWaiter()
        try await withDeadline(.after(.seconds(60)), while: "waiting for a receipt") {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await receipts.wait(for: "bench 0 1") }
                try? await Task.sleep(for: .milliseconds(20))
                receipts.fail()
                #expect(await group.next() == false)
            }
        }
        #expect(await receipts.wait(for: "bench 0 2") == false)
    }

    @Test func cancellationBeforeTheWaitEndsIt() async throws {
        let receipts = ReceiptWaiter()
        try await withDeadline(.after(.seconds(60)), while: "waiting, cancelled first") {
            await withTaskGroup(of: Bool.self) { group in
                group.cancelAll()
                group.addTask { await receipts.wait(for: "bench 0 1") }
                #expect(await group.next() == false)
            }
        }
    }

    @Test func cancellationDuringTheWaitEndsIt() async throws {
        let receipts = ReceiptWaiter()
        try await withDeadline(.after(.seconds(60)), while: "waiting, cancelled while waiting") {
            await withTaskGroup(of: Bool.self) { group in
                group.addTask { await receipts.wait(for: "bench 0 1") }
                try? await Task.sleep(for: .milliseconds(50))
                group.cancelAll()
                #expect(await group.next() == false)
            }
        }
        // A receipt that comes later is still found by a new wait.
        receipts.arrived("bench 0 1")
        #expect(await receipts.wait(for: "bench 0 1"))
    }
}
