import KeyGateFTP
import Testing

/// The 227 and 229 replies (RFC 959 section 4.1.2, RFC 2428 section 3),
/// as the server and the gateway write them and the client reads them.
struct FTPReplyPassiveTests {
    @Test func anExtendedPassiveReplyNamesThePortBetweenDelimiters() {
        let reply = FTPReply.extendedPassive(port: 7742)
        #expect(String(decoding: reply.message, as: UTF8.self) == "229 Entering Extended Passive Mode (|||7742|)")
        #expect(FTPReply.extendedPassivePort(in: reply.text) == 7742)
    }

    @Test func aPassiveReplySpellsTheAddressAndPortAsSixNumbers() throws {
        let reply = try #require(FTPReply.passive(host: "192.168.1.20", port: 0x1e2f))
        #expect(String(decoding: reply.message, as: UTF8.self) == "227 Entering Passive Mode (192,168,1,20,30,47)")
        #expect(FTPReply.passive(host: "::ffff:127.0.0.1", port: 256)?.text == "Entering Passive Mode (127,0,0,1,1,0)")
    }

    @Test(arguments: ["::1", "fe80::1", "localhost", "1.2.3", "1.2.3.256"])
    func aPassiveReplyNeedsAnIPv4Address(host: String) {
        #expect(FTPReply.passive(host: host, port: 21) == nil)
    }

    @Test(arguments: [
        ("Entering Extended Passive Mode (!!!21!)", UInt16(21)),
        ("ok (|||65535|) then", 65535),
    ])
    func theClientReadsThePortWhateverTheDelimiter(text: String, port: UInt16) {
        #expect(FTPReply.extendedPassivePort(in: text) == port)
    }

    @Test(arguments: ["no parenthesis", "()", "(|||0|)", "(|||65536|)", "(||21|)", "(|||x|)", ")(|||21|"])
    func aMalformedExtendedPassiveReplyHasNoPort(text: String) {
        #expect(FTPReply.extendedPassivePort(in: text) == nil)
    }
}
