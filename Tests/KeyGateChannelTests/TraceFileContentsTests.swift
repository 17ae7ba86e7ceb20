import KeyGateChannel
import Testing

/// Reading a trace file back: sessions grouped, and every kind of bad
/// input refused with the line it is on.
struct TraceFileContentsTests {
    static func line(_ session: String, _ event: String = "message") -> String {
        "{\"session\":\"\(session)\",\"event\":\"\(event)\",\"message\":1}"
    }

    static func parse(_ text: String) throws(TraceFileError) -> TraceFileContents {
        try TraceFileContents.parse(Array(text.utf8), path: "t.jsonl")
    }

    @Test func linesAreGroupedBySessionInTheOrderTheyFirstAppear() throws {
        let text = [Self.line("b"), Self.line("a", "token"), Self.line("b", "token"), "", Self.line("a", "grant")]
            .joined(separator: "\n") + "\n"
        let contents = try Self.parse(text)
        #expect(contents.sessions.map(\.id) == ["b", "a"])
        #expect(contents.sessions[0].records.map(\.line) == [1, 3])
        #expect(contents.sessions[1].records.map(\.event) == ["token", "grant"])
        #expect(try contents.sessions(matching: "a").map(\.id) == ["a"])
        #expect(try contents.sessions(matching: nil).count == 2)
    }

    @Test func anUnknownSessionNamesTheOnesThereAre() throws {
        let contents = try Self.parse(Self.line("a") + "\n" + Self.line("b") + "\n")
        #expect(throws: TraceFileError.unknownSession("c", known: ["a", "b"])) { try contents.sessions(matching: "c") }
        #expect(TraceFileError.unknownSession("c", known: ["a", "b"]).description == "no session 'c' in the file; it holds: a, b")
    }

    @Test func aCutOffLastLineIsTruncated() {
        let text = Self.line("a") + "\n" + String(Self.line("a").prefix(20))
        #expect(throws: TraceFileError.truncated(path: "t.jsonl", line: 2)) { try Self.parse(text) }
    }

    @Test func aCompleteLastLineWithoutNewlineIsRead() throws {
        #expect(try Self.parse(Self.line("a")).sessions.count == 1)
    }

    @Test func aLineThatIsNotJSONIsNotATraceFile() {
        #expect(throws: TraceFileError.self) { try Self.parse("hello world\n") }
        do {
            _ = try Self.parse(Self.line("a") + "\nPNG\u{1}\u{2}\n")
            Issue.record("binary data accepted")
        } catch {
            guard case let .notATraceFile(_, line, _) = error else { Issue.record("\(error)"); return }
            #expect(line == 2)
        }
    }

    @Test(arguments: ["[1,2]", "{\"event\":\"message\"}", "{\"session\":\"a\"}", "{\"session\":\"\",\"event\":\"x\"}",
                      "{\"session\":7,\"event\":\"message\"}", "\"text\""])
    func aLineWithoutSessionAndEventIsNotATraceFile(line: String) {
        #expect(throws: TraceFileError.notATraceFile(path: "t.jsonl", line: 1, reason: "no \"session\" and \"event\" members")) {
            try Self.parse(line + "\n")
        }
    }

    @Test(arguments: ["", "\n\n", "  \n"])
    func aFileWithoutLinesIsEmpty(text: String) {
        #expect(throws: TraceFileError.empty(path: "t.jsonl")) { try Self.parse(text) }
    }

    @Test func aMissingFileSaysSo() async {
        await #expect(throws: TraceFileError.system(path: "/nonexistent/t.jsonl", call: "open", errno: 2)) {
            try await TraceFileContents.read(path: "/nonexistent/t.jsonl")
        }
        #expect(TraceFileError.system(path: "x", call: "open", errno: 2).description.contains("check the path"))
    }
}
