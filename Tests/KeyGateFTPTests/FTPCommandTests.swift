import KeyGateSystem
import KeyGateFTP
import Testing

/// The command-line parser, with ordinary and hostile lines.
struct FTPCommandTests {
    static func parse(_ text: String) throws(FTPCommand.ParseError) -> FTPCommand {
        try FTPCommand(parsing: Array(text.utf8))
    }

    @Test func verbIsUpperCasedAndTheArgumentKeptAsSent() throws {
        let command = try Self.parse("retr my  file.txt ")
        #expect(command.verb == "RETR")
        #expect(command.argument == "my  file.txt ")
    }

    @Test func aCommandWithoutArgument() throws {
        #expect(try Self.parse("PWD") == FTPCommand(verb: "PWD"))
        #expect(try Self.parse("PWD").argument == "")
    }

    @Test func oneTrailingLineEndIsTolerated() throws {
        #expect(try Self.parse("NOOP\r\n") == FTPCommand(verb: "NOOP"))
        #expect(try Self.parse("CWD a\n") == FTPCommand(verb: "CWD", argument: "a"))
    }

    @Test func aLineAtTheLimitIsAcceptedAndOneByteMoreIsRefused() throws {
        let longest = "STOR " + String(repeating: "a", count: FTPCommand.maximumLineByteCount - 5)
        #expect(try Self.parse(longest).argument.count == FTPCommand.maximumLineByteCount - 5)
        #expect(throws: FTPCommand.ParseError.tooLong(FTPCommand.maximumLineByteCount + 1)) {
            try Self.parse(longest + "a")
        }
        #expect(FTPCommand.ParseError.tooLong(5000).reply.code == .syntaxError)
    }

    @Test func aHugeLineIsRefusedWithoutReadingIt() {
        let huge = [UInt8](repeating: UInt8(ascii: "A"), count: 65519)
        #expect(throws: FTPCommand.ParseError.tooLong(65519)) { try FTPCommand(parsing: huge) }
    }

    @Test func emptyLinesAndBadVerbsAreSyntaxErrors() {
        #expect(throws: FTPCommand.ParseError.empty) { try Self.parse("") }
        #expect(throws: FTPCommand.ParseError.empty) { try Self.parse("\r\n") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.parse(" RETR x") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.parse("RE") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.parse("RETRIEVE x") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.parse("R3TR x") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.parse("\u{0}RETR") }
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        #expect(throws: FTPCommand.ParseError.notUTF8) { try FTPCommand(parsing: Array("RETR ".utf8) + [0xff, 0xfe]) }
    }

    @Test func controlCharactersStayInTheArgumentForThePathRulesToRefuse() throws {
        #expect(try Self.parse("RETR a\u{0}b").argument == "a\u{0}b")
        #expect(try Self.parse("RETR a\r\nDELE b").argument == "a\r\nDELE b")
    }

    @Test(arguments: [
        ("", "", ""),
        ("-la", "la", ""),
        ("-l -a my folder", "la", "my folder"),
        ("my folder/with spaces", "", "my folder/with spaces"),
        ("-a   x", "a", "x"),
    ])
    func listingArgumentsAreFlagsThenOnePath(argument: String, flags: String, path: String) {
        let parsed = FTPCommand(verb: "LIST", argument: argument).listingArguments
        #expect(parsed.flags == flags)
        #expect(parsed.path == path)
    }

    @Test func passwordsNeverReachALog() {
        #expect(FTPCommand(verb: "PASS", argument: "secret").description == "PASS ****")
    }

    /// The verb ends at the first space byte even when a combining mark
    /// follows it (one Character), so such a command reads back as written.
    @Test func anArgumentStartingWithACombiningMarkRoundTrips() throws {
        let command = FTPCommand(verb: "RETR", argument: "\u{301}x")
        let parsed = try FTPCommand(parsing: command.line)
        #expect(parsed.verb == "RETR")
        #expect(parsed.argument == "\u{301}x")
    }
}
