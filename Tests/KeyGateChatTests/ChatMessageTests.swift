import KeyGateSystem
import KeyGateChat
import KeyGateServer
import Testing

struct ChatRequestTests {
    @Test func requestsParse() throws {
        #expect(try ChatRequest(parsing: Array(#"{"type":"say","text":"hi"}"#.utf8)) == .say("hi"))
        #expect(try ChatRequest(parsing: Array(#" { "type" : "who" } "#.utf8)) == .who)
        #expect(try ChatRequest(parsing: Array(#"{"type":"bye","extra":[1,2]}"#.utf8)) == .bye)
        #expect(try ChatRequest(parsing: Array(#"{"type":"say","text":"\u00e9\ud83d\ude00"}"#.utf8)) == .say("é😀"))
    }

    @Test(arguments: [
        "", "not json", "[]", "42", #"{"text":"no type"}"#, #"{"type":"say"}"#, #"{"type":"say","text":7}"#,
        #"{"type":"say","text":"a","type":"who"}"#, #"{"type":"say","text":"unterminated}"#, "{\"type\":\"say\",\"text\":\"\u{01}\"}",
        #"{"type":"say","text":"\ud800"}"#, String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func malformedRequestsAreRefused(_ text: String) {
        #expect(throws: ChatRequest.Problem.self) { try ChatRequest(parsing: Array(text.utf8)) }
    }

    @Test func unknownTypesAreNamed() {
        #expect(throws: ChatRequest.Problem.unknownType("dance")) {
            try ChatRequest(parsing: Array(#"{"type":"dance"}"#.utf8))
        }
    }

    @Test func invalidUTF8IsRefused() {
        let bytes = Array(#"{"type":"say","text":""#.utf8) + [0xff, 0xfe] + Array(#""}"#.utf8)
        #expect(throws: ChatRequest.Problem.self) { try ChatRequest(parsing: bytes) }
    }
}

struct ChatEventTests {
    static func message(from: String, text: String, seq: Int) -> ChatEvent {
        .message(ChatMessage(room: "lobby", seq: seq, from: from, text: text, time: "2026-12-03T09:00:00.000Z", hash: "ab"))
    }

    /// PROTOCOL.md section 5's members first, in its order, then the
    /// extensions' (PROTOCOL.md, "Chat extensions").
    @Test func eventsAreEncodedAsTheProtocolWritesThem() {
        #expect(Self.message(from: "alice", text: "hi \"you\"", seq: 3).json.description
            == #"{"type":"msg","from":"alice","text":"hi \"you\"","seq":3,"room":"lobby","time":"2026-12-03T09:00:00.000Z","hash":"ab"}"#)
        #expect(ChatEvent.joined("bob").json.description == #"{"type":"joined","name":"bob","room":"lobby"}"#)
        #expect(ChatEvent.left("bob", room: "x").json.description == #"{"type":"left","name":"bob","room":"x"}"#)
        #expect(ChatEvent.who(["a", "b"], away: ["b": "lunch"]).json.description
            == #"{"type":"who","names":["a","b"],"room":"lobby","away":{"b":"lunch"}}"#)
        #expect(ChatEvent.error("message too long").json.description == #"{"type":"error","error":"message too long"}"#)
        #expect(ChatEvent.error("slow down", refused: "say").json.description == #"{"type":"error","error":"slow down","refused":"say"}"#)
        #expect(ChatEvent.head(room: "lobby", hash: "00", count: 0).json.description
            == #"{"type":"head","room":"lobby","hash":"00","count":0}"#)
    }

    @Test func eventsRoundTrip() throws {
        var action = ChatMessage(room: "dev", seq: 2, from: "b", text: "waves", action: true, time: "t", hash: "cd", history: true)
        let events: [ChatEvent] = [
            Self.message(from: "a", text: "x\ny\u{1}", seq: 9), .message(action), .joined("a"), .left("b", room: "dev"),
            .who(["a"]), .who(["a", "c"], room: "dev", away: ["c": "out"]), .error("e"), .error("f", refused: "private"),
            .privateMessage(from: "a", to: "b", text: "psst", time: "t"), .rooms([.init(name: "lobby", members: 2)]),
            .whois(.init(name: "a", fingerprint: "SHA256:x", since: "t", away: nil, rooms: ["lobby"], sessions: 2)),
            .whois(.init(name: "a", fingerprint: "SHA256:x", since: "t", away: "lunch", rooms: [], sessions: 1)),
            .head(room: "dev", hash: "ef", count: 4), .notice("you are back"),
        ]
        for event in events {
            #expect(try ChatEvent(parsing: event.json.bytes) == event)
        }
        action.history = false
        #expect(try ChatEvent(parsing: ChatEvent.message(action).json.bytes) == .message(action))
    }

    /// What a protocol v2 server sends still reads: the default room, no
    /// time or hash.
    @Test func protocolV2MessagesStillParse() throws {
        let event = try ChatEvent(parsing: Array(#"{"type":"msg","from":"alice","text":"hi","seq":3}"#.utf8))
        #expect(event == .message(ChatMessage(room: "lobby", seq: 3, from: "alice", text: "hi", time: "")))
        #expect(try ChatEvent(parsing: Array(#"{"type":"joined","name":"bob"}"#.utf8)) == .joined("bob"))
        #expect(try ChatEvent(parsing: Array(#"{"type":"something-new","x":1}"#.utf8)) == nil)
    }

    @Test func displayLinesNeutralizeControlCharacters() {
        let line = Self.message(from: "eve", text: "\u{1B}[2Jgotcha", seq: 1).displayLine
        #expect(!line.contains("\u{1B}"))
        #expect(line.hasPrefix("[lobby 1] eve: "))
    }

    @Test func displayLinesMarkActionsHistoryAndPrivateMessages() {
        let action = ChatEvent.message(ChatMessage(room: "dev", seq: 4, from: "bob", text: "waves", action: true, time: "T", history: true))
        #expect(action.displayLine == "[dev ~4] * bob waves")
        #expect(action.displayLine(timestamps: true) == "T [dev ~4] * bob waves")
        #expect(ChatEvent.privateMessage(from: "a", to: "b", text: "hi", time: "T").displayLine == "[a -> b] hi")
    }
}
