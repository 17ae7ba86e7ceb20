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
    /// The exact bytes of PROTOCOL.md section 5.
    @Test func eventsAreEncodedAsTheProtocolWritesThem() {
        #expect(ChatEvent.message(from: "alice", text: "hi \"you\"", seq: 3).json.description
            == #"{"type":"msg","from":"alice","text":"hi \"you\"","seq":3}"#)
        #expect(ChatEvent.joined("bob").json.description == #"{"type":"joined","name":"bob"}"#)
        #expect(ChatEvent.left("bob").json.description == #"{"type":"left","name":"bob"}"#)
        #expect(ChatEvent.who(["a", "b"]).json.description == #"{"type":"who","names":["a","b"]}"#)
        #expect(ChatEvent.error("message too long").json.description == #"{"type":"error","error":"message too long"}"#)
    }

    @Test func eventsRoundTrip() throws {
        for event in [ChatEvent.message(from: "a", text: "x\ny\u{1}", seq: 9), .joined("a"), .left("b"), .who(["a"]), .error("e")] {
            #expect(try ChatEvent(parsing: event.json.bytes) == event)
        }
    }

    @Test func displayLinesNeutralizeControlCharacters() {
        let line = ChatEvent.message(from: "eve", text: "\u{1B}[2Jgotcha", seq: 1).displayLine
        #expect(!line.contains("\u{1B}"))
        #expect(line.hasPrefix("[1] eve: "))
    }
}
