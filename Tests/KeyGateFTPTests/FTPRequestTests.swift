@testable import KeyGateFTP
import Testing

/// Command lines parsed into requests: every verb, aliases, arguments,
/// and the lines that are no command at all.
struct FTPRequestTests {
    static func request(_ text: String) throws(FTPCommand.ParseError) -> FTPRequest {
        FTPRequest(try FTPCommand(parsing: Array(text.utf8)))
    }

    @Test(arguments: [
        ("USER anonymous", FTPRequest.login), ("PASS secret", .login), ("SYST", .system), ("FEAT", .features),
        ("NOOP", .noop), ("HELP", .help), ("HELP RETR", .help), ("QUIT", .quit), ("PWD", .printDirectory),
        ("CWD a b", .changeDirectory("a b")), ("CDUP", .changeDirectory("..")), ("MKD new", .makeDirectory("new")),
        ("RMD old", .removeDirectory("old")), ("DELE f", .delete("f")), ("RNFR f", .renameFrom("f")),
        ("RNTO g", .renameTo("g")), ("SIZE f", .size("f")), ("MDTM f", .modificationTime("f")),
        ("MLST", .facts("")), ("MLST f", .facts("f")), ("STAT", .status(path: nil)), ("STAT d", .status(path: "d")),
        ("ALLO 100", .allocate), ("EPSV", .extendedPassive("")), ("EPSV ALL", .extendedPassive("ALL")),
        ("PASV", .passive), ("ABOR", .abort),
        ("RETR a.txt", .transfer(.retrieve, path: "a.txt")), ("STOR a.txt", .transfer(.store, path: "a.txt")),
        ("APPE a.txt", .transfer(.append, path: "a.txt")), ("RETR", .transfer(.retrieve, path: "")),
        ("PORT 127,0,0,1,4,1", .activeMode), ("EPRT |1|127.0.0.1|1025|", .activeMode),
        ("SITE CHMOD 777 x", .notImplemented(.site)), ("AUTH TLS", .notImplemented(.auth)),
        ("XYZZ", .unknown), ("STOU", .notImplemented(.stou)),
    ])
    func eachVerbMakesItsRequest(line: String, expected: FTPRequest) throws {
        #expect(try Self.request(line) == expected)
    }

    @Test(arguments: [
        ("XPWD", FTPRequest.printDirectory), ("XCWD a", .changeDirectory("a")), ("XCUP", .changeDirectory("..")),
        ("XMKD a", .makeDirectory("a")), ("XRMD a", .removeDirectory("a")),
    ])
    func aliasesMakeTheRequestOfTheirVerb(line: String, expected: FTPRequest) throws {
        #expect(try Self.request(line) == expected)
    }

    @Test func verbsAreReadInAnyCase() throws {
        #expect(try Self.request("retr x") == .transfer(.retrieve, path: "x"))
        #expect(try Self.request("xPwd") == .printDirectory)
    }

    /// Every verb makes a request, and only the ones not offered make 502.
    @Test(arguments: FTPVerb.allCases)
    func everyVerbMakesARequestThatMatchesWhetherItIsOffered(verb: FTPVerb) {
        let request = FTPRequest(FTPCommand(verb: verb.name))
        let notImplemented = request == .activeMode || request == .notImplemented(verb)
        #expect(notImplemented == !verb.isOffered)
        #expect(request != .unknown)
    }

    @Test func listingArgumentsLoseTheirFlags() throws {
        #expect(try Self.request("LIST") == .transfer(.list, path: ""))
        #expect(try Self.request("LIST -la") == .transfer(.list, path: ""))
        #expect(try Self.request("NLST -l my folder") == .transfer(.nameList, path: "my folder"))
        #expect(try Self.request("MLSD sub") == .transfer(.machineList, path: "sub"))
        // A file name may start with a dash only for the file commands.
        #expect(try Self.request("RETR -la") == .transfer(.retrieve, path: "-la"))
    }

    @Test(arguments: [
        ("TYPE I", FTPRequest.type(.binary)), ("TYPE i", .type(.binary)), ("TYPE L 8", .type(.binary)),
        ("TYPE A", .type(.ascii)), ("TYPE A N", .type(.ascii)), ("TYPE E", .type(nil)), ("TYPE", .type(nil)),
        ("MODE S", .mode(isStream: true)), ("MODE s", .mode(isStream: true)), ("MODE B", .mode(isStream: false)),
        ("STRU F", .structure(isFile: true)), ("STRU R", .structure(isFile: false)),
        ("OPTS UTF8 ON", .options(.utf8)), ("OPTS utf8", .options(.utf8)),
        ("OPTS UTF-8 ON", .options(.utf8)), ("OPTS MLST type;", .options(nil)),
        ("OPTS HASH", .options(.hash(nil))), ("OPTS hash SHA-256", .options(.hash("SHA-256"))),
        ("OPTS HASH MD5", .options(.hash("MD5"))), ("OPTS HASH SHA-256 SHA-1", .options(nil)),
        ("HASH a b.txt", .hash("a b.txt")), ("HASH", .hash("")),
    ])
    func settingsAreParsedIntoWhatTheyChoose(line: String, expected: FTPRequest) throws {
        #expect(try Self.request(line) == expected)
    }

    @Test(arguments: [
        ("REST 0", Int64(0)), ("REST 123457", 123_457), ("REST 9223372036854775807", Int64.max),
        ("REST -1", nil), ("REST x", nil), ("REST", nil), ("REST 1.5", nil), ("REST 9223372036854775808", nil),
    ] as [(String, Int64?)])
    func restTakesOnlyAWholeNonNegativeNumber(line: String, offset: Int64?) throws {
        #expect(try Self.request(line) == .restart(at: offset))
    }

    @Test func argumentsKeepTheirSpacesAndControlCharactersForThePathRules() throws {
        #expect(try Self.request("DELE  two spaces ") == .delete(" two spaces "))
        #expect(try Self.request("RETR a\u{0}b") == .transfer(.retrieve, path: "a\u{0}b"))
    }

    @Test func linesThatAreNoCommandGetTheirReplies() {
        #expect(throws: FTPCommand.ParseError.empty) { try Self.request("") }
        #expect(throws: FTPCommand.ParseError.badVerb) { try Self.request("RETRIEVE x") }
        #expect(throws: FTPCommand.ParseError.notUTF8) {
            FTPRequest(try FTPCommand(parsing: Array("CWD ".utf8) + [0xc3, 0x28]))
        }
        let tooLong = "STOR " + String(repeating: "é", count: FTPCommand.maximumLineByteCount / 2)
        #expect(throws: FTPCommand.ParseError.tooLong(tooLong.utf8.count)) { try Self.request(tooLong) }
        #expect(FTPCommand.ParseError.notUTF8.reply.code == .argumentSyntaxError)
        #expect(FTPCommand.ParseError.badVerb.reply == FTPReply(.syntaxError, "Syntax error, command unrecognized"))
        #expect(FTPCommand.ParseError.empty.reply == FTPReply(.syntaxError, "Empty command line"))
        #expect(FTPCommand.ParseError.tooLong(5000).reply.text == "Command line too long (5000 bytes; at most 4096)")
    }
}
