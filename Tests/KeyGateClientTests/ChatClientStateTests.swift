import KeyGateSystem
import KeyGateChat
@testable import KeyGateClient
import Testing

/// The chat client's receipt bookkeeping: what it said comes back in order.
struct ChatClientStateTests {
    @Test func nothingPendingNeedsNoWait() async {
        let state = ChatClientState(myName: "alice")
        #expect(await state.waitForReceipts(timeout: .zero))
    }

    @Test func theWaitEndsWhenTheLastReceiptArrives() async {
        let state = ChatClientState(myName: "alice")
        await state.expectReceipt(for: "one")
        await state.expectReceipt(for: "two")
        async let confirmed = state.waitForReceipts(timeout: .seconds(30))
        await state.observe(.message(from: "bob", text: "one", seq: 1))
        await state.observe(.message(from: "alice", text: "one", seq: 2))
        await state.observe(.message(from: "alice", text: "two", seq: 3))
        let started = ContinuousClock.now
        #expect(await confirmed)
        #expect(ContinuousClock.now - started < .seconds(10), "resumed by the receipt, not by the timeout")
        #expect(await state.missingReceipts == 0)
    }

    @Test func missingReceiptsTimeOut() async {
        let state = ChatClientState(myName: "alice")
        await state.expectReceipt(for: "lost")
        await state.observe(.message(from: "bob", text: "lost", seq: 1))
        #expect(await !state.waitForReceipts(timeout: .milliseconds(50)))
        #expect(await state.missingReceipts == 1)
    }
}
