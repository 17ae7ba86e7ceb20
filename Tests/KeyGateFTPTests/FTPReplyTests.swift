import KeyGateSystem
import KeyGateFTP
import Testing

/// Reply formatting and parsing (RFC 959 section 4.2; PROTOCOL.md section 9).
struct FTPReplyTests {
    @Test func aSingleLineReplyHasNoTrailingLineEnd() {
        #expect(FTPReply(.transferComplete, "Transfer complete").message == Array("226 Transfer complete".utf8))
    }

    @Test func aMultiLineReplySeparatesLinesWithCRLF() {
        let reply = FTPReply(.systemStatus, lines: ["Features:", " EPSV", "200 looks like a code", "End"])
        #expect(String(decoding: reply.message, as: UTF8.self) == "211-Features:\r\n EPSV\r\n 200 looks like a code\r\n211 End")
    }

    @Test func controlCharactersCannotForgeALine() {
        let reply = FTPReply(.fileUnavailable, "x\r\n226 fake")
        #expect(String(decoding: reply.message, as: UTF8.self) == "550 x??226 fake")
    }

    @Test func parsingToleratesATrailingLineEnd() throws {
        #expect(try FTPReply(parsing: Array("226 Done\r\n".utf8)) == FTPReply(.transferComplete, "Done"))
        #expect(try FTPReply(parsing: Array("200".utf8)) == FTPReply(.commandOkay, ""))
    }

    @Test func parsingAMultiLineReplyRoundTrips() throws {
        let reply = FTPReply(.helpMessage, lines: ["Commands:", " ABOR APPE", "Help OK"])
        #expect(try FTPReply(parsing: reply.message) == reply)
        #expect(try FTPReply(parsing: reply.message + [13, 10]) == reply)
    }

    @Test(arguments: ["", "hello", "22 short", "2266 long", "211-no end", "211-a\r\n212 wrong code"])
    func malformedRepliesAreRefused(text: String) {
        #expect(throws: FTPError.self) { try FTPReply(parsing: Array(text.utf8)) }
    }
}
