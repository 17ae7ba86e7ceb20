import KeyGateSystem
import KeyGateChat
@testable import KeyGateClient
import Testing

/// The chat client's receipt bookkeeping: what it said comes back in order.
struct ChatClientStateTests {
    static func message(from: String, text: String, seq: Int, room: String = "lobby", history: Bool = false) -> ChatEvent {
        .message(ChatMessage(room: room, seq: seq, from: from, text: text, time: "T", hash: "00", history: history))
    }

    @Test func nothingPendingNeedsNoWait() async {
        let state = ChatClientState(myName: "alice")
        #expect(await state.waitForReceipts(timeout: .zero))
    }

    @Test func theWaitEndsWhenTheLastReceiptArrives() async {
        let state = ChatClientState(myName: "alice")
        await state.expectReceipt(for: "one")
        await state.expectReceipt(for: "two")
        async let confirmed = state.waitForReceipts(timeout: .seconds(30))
        await state.observe(Self.message(from: "bob", text: "one", seq: 1))
        await state.observe(Self.message(from: "alice", text: "one", seq: 2))
        await state.observe(Self.message(from: "alice", text: "two", seq: 3))
        let started = ContinuousClock.now
        #expect(await confirmed)
        #expect(ContinuousClock.now - started < .seconds(10), "resumed by the receipt, not by the timeout")
        #expect(await state.missingReceipts == 0)
    }

    @Test func missingReceiptsTimeOut() async {
        let state = ChatClientState(myName: "alice")
        await state.expectReceipt(for: "lost")
        await state.observe(Self.message(from: "bob", text: "lost", seq: 1))
        #expect(await !state.waitForReceipts(timeout: .milliseconds(50)))
        #expect(await state.missingReceipts == 1)
    }

    @Test func refusalsOfMessagesAnswerThemButOtherErrorsDoNot() async {
        let state = ChatClientState(myName: "alice")
        for text in ["a", "b", "c", "d"] { await state.expectReceipt(for: text) }
        await state.observe(.error("slow down", refused: "say"))
        await state.observe(.error("bob is not connected", refused: "private"))
        await state.observe(.error("invalid room name", refused: "join"))
        await state.observe(.error("unknown type 'x'"))
        #expect(await state.missingReceipts == 2)
        await state.observe(.error("message too long"))
        await state.observe(.privateMessage(from: "alice", to: "bob", text: "d", time: "T"))
        #expect(await state.missingReceipts == 0)
    }

    @Test func historyIsNoReceipt() async {
        let state = ChatClientState(myName: "alice")
        await state.expectReceipt(for: "again")
        await state.observe(Self.message(from: "alice", text: "again", seq: 1, history: true))
        #expect(await state.missingReceipts == 1)
    }

    @Test func theCurrentRoomIsTheOneLastJoined() async {
        let state = ChatClientState(myName: "alice")
        await state.observe(.joined("alice"))
        #expect(await state.currentRoom == "lobby")
        await state.switchTo("dev")
        #expect(await state.currentRoom == "dev", "typed lines follow the /join at once")
        await state.observe(.joined("bob", room: "ops"))
        await state.observe(.joined("alice", room: "dev"))
        #expect(await state.rooms == ["lobby", "dev"])
        await state.switchTo("lobby")
        #expect(await state.currentRoom == "lobby", "a /join of a room one is in switches to it")
        await state.observe(.left("alice", room: "lobby"))
        #expect(await state.currentRoom == "dev", "/part returns to the previous room")
    }

    @Test func aRefusedJoinDoesNotLeaveTheClientInALimbo() async {
        let state = ChatClientState(myName: "alice")
        await state.observe(.joined("alice"))
        await state.switchTo("full")
        await state.observe(.error("the server has 1000 rooms", refused: "join"))
        #expect(await state.currentRoom == "lobby")
    }

    @Test func privateMessagesAndMentionsCallTheUser() async {
        let state = ChatClientState(myName: "alice")
        #expect(await state.calls(for: .privateMessage(from: "bob", to: "alice", text: "hi", time: "")))
        #expect(await !state.calls(for: .privateMessage(from: "alice", to: "bob", text: "hi", time: "")), "own receipt")
        #expect(await state.calls(for: Self.message(from: "bob", text: "hey Alice, look", seq: 1)))
        #expect(await !state.calls(for: Self.message(from: "bob", text: "hello", seq: 2)))
        #expect(await !state.calls(for: Self.message(from: "bob", text: "alice", seq: 3, history: true)), "history is old news")
        await state.observe(.privateMessage(from: "bob", to: "alice", text: "hi", time: ""))
        #expect(await state.lastPrivateSender == "bob")
    }
}
