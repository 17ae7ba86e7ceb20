import KeyGateSystem
@testable import KeyGateChat
import Testing

struct ChatRoomNameTests {
    @Test(arguments: [("lobby", "lobby"), ("#Dev", "dev"), ("a.b-c_9", "a.b-c_9"), (String(repeating: "x", count: 32), String(repeating: "x", count: 32))])
    func validNamesAreCanonical(name: String, canonical: String) throws {
        #expect(try ChatRoomName.validated(name).get() == canonical)
    }

    @Test(arguments: ["", "#", "two words", "caf\u{E9}", String(repeating: "x", count: 33), "a/b", "\u{1B}[2J", "lobby\n"])
    func otherNamesAreRefused(name: String) {
        #expect(throws: RoomNameProblem.self) { try ChatRoomName.validated(name).get() }
    }
}

struct TokenBucketTests {
    @Test func theBurstPassesThenTheRateApplies() {
        let start = ContinuousClock.now
        var bucket = TokenBucket(ratePerSecond: 2, burst: 3, now: start)
        for _ in 0..<3 { #expect(bucket.take(now: start) == nil) }
        let wait = bucket.take(now: start)
        #expect(wait == .milliseconds(500))
        #expect(bucket.take(now: start + .milliseconds(499)) != nil)
        #expect(bucket.take(now: start + .milliseconds(1000)) == nil, "one token back after half a second")
        // A long quiet spell refills to the burst, not beyond.
        let later = start + .seconds(60)
        for _ in 0..<3 { #expect(bucket.take(now: later) == nil) }
        #expect(bucket.take(now: later) != nil)
    }

    @Test func aRateOfZeroNeverRefuses() {
        var bucket = TokenBucket(ratePerSecond: 0, burst: 1)
        for _ in 0..<1000 { #expect(bucket.take() == nil) }
    }
}

struct ChatMessageChainTests {
    /// The canonical bytes and the chain, as PROTOCOL.md defines them; the
    /// expected hash was computed independently with Python's hashlib:
    /// sha256(bytes(32) + b''.join(len(f).to_bytes(4,'big') + f for f in
    /// [b'lobby', b'1', b'2026-12-03T09:00:00.000Z', b'alice', b'msg', b'hi'])).
    @Test func theChainFollowsTheDefinition() {
        let message = ChatMessage(room: "lobby", seq: 1, from: "alice", text: "hi", time: "2026-12-03T09:00:00.000Z")
        #expect(message.canonicalBytes == [0, 0, 0, 5] + Array("lobby".utf8) + [0, 0, 0, 1] + Array("1".utf8)
            + [0, 0, 0, 24] + Array("2026-12-03T09:00:00.000Z".utf8) + [0, 0, 0, 5] + Array("alice".utf8)
            + [0, 0, 0, 3] + Array("msg".utf8) + [0, 0, 0, 2] + Array("hi".utf8))
        #expect(Hex.encode(message.chained(after: ChatMessage.emptyHead)) == ChatMessageChainTests.expectedFirstHead)
    }

    static let expectedFirstHead = "a2c3a5de3dde939cf40dc74e81dee69f926ce252e4f31068747a8252bff0c114"

    @Test func actionsAndTextsChangeTheHash() {
        let plain = ChatMessage(room: "r", seq: 1, from: "a", text: "x", time: "t")
        var action = plain
        action.action = true
        var other = plain
        other.text = "y"
        let heads = [plain, action, other].map { $0.chained(after: ChatMessage.emptyHead) }
        #expect(Set(heads).count == 3)
        // Field boundaries are part of the encoding: "ab"+"c" is not "a"+"bc".
        let one = ChatMessage(room: "ab", seq: 1, from: "c", text: "", time: "")
        let two = ChatMessage(room: "a", seq: 1, from: "bc", text: "", time: "")
        #expect(one.canonicalBytes != two.canonicalBytes)
    }

    @Test func hexRoundTrips() {
        let bytes: [UInt8] = [0, 1, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "0001abff")
        #expect(Hex.decode("0001ABff") == bytes)
        #expect(Hex.decode("abc") == nil && Hex.decode("zz") == nil)
    }
}
