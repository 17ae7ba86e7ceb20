import KeyGateChannel
import KeyGateTestSupport
import Foundation
import Testing

/// `keygate decode` as users run it, on captures of real in-process
/// sessions written by the test, and the `--keylog` option of the clients.
struct DecodeCommandTests {
    /// A chat session's capture and the client's keylog, in `directory`.
    static func writeChatCapture(in directory: TemporaryDirectory) async throws -> LabSession {
        let keyLog = try SessionKeyLog.open(path: directory.appending("lab.keys"))
        let session = try await LabSession.run(service: "chat", clientKeyLog: keyLog, serverKeyLog: nil)
        let capture = PcapWriter().capture([
            PcapWriter.Connection(session.control, clientPort: 40001, serverPort: 7700),
            PcapWriter.Connection(session.dataPort, clientPort: 40002, serverPort: 21042),
        ])
        try Data(capture).write(to: URL(fileURLWithPath: directory.appending("lab.pcap")))
        return session
    }

    @Test func aCaptureIsDecodedWithAndWithoutTheKeylog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let session = try await Self.writeChatCapture(in: directory)
        let plain = try await KeygateBinary.run(["decode", directory.appending("lab.pcap")])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("connection 1: 127.0.0.1:40001 -> 127.0.0.1:7700: KeyGate control connection, Noise_XX_25519_ChaChaPoly_SHA256"))
        #expect(plain.stdout.contains("negotiation: proposes Noise_XX_25519_ChaChaPoly_SHA256"))
        #expect(plain.stdout.contains("e: the client's ephemeral public key, in clear (32 bytes): "))
        #expect(plain.stdout.contains("not decrypted: no keylog given (--keylog FILE)"))
        #expect(!plain.stdout.contains("hello, Bob"))
        let decrypted = try await KeygateBinary.run(["decode", directory.appending("lab.pcap"), "--keylog", directory.appending("lab.keys")])
        #expect(decrypted.status == 0, "\(decrypted.stderr)")
        #expect(decrypted.stdout.contains("decrypted (nonce 0), grant: \"\(String(decoding: session.grant, as: UTF8.self).replacingOccurrences(of: "\\", with: "\\\\"))\""))
        #expect(decrypted.stdout.contains(#"decrypted (nonce 0), RESUME: "RESUME""#))
        #expect(decrypted.stdout.contains(#"chat message: "{"type":"say","text":"hello, Bob"}""#))
        #expect(decrypted.stdout.contains("decrypted with the keylog: 5, not decrypted: 0"))
    }

    @Test func aTruncatedCaptureFailsWithAClearMessage() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.writeChatCapture(in: directory)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory.appending("lab.pcap")))
        try bytes.prefix(bytes.count - 3).write(to: URL(fileURLWithPath: directory.appending("cut.pcap")))
        let outcome = try await KeygateBinary.run(["decode", directory.appending("cut.pcap")])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("keygate decode: truncated capture: packet "))
        #expect(outcome.stdout.isEmpty)
    }

    @Test func otherTrafficIsReadAndSaidNotToBeKeyGate() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let http = PcapWriter.Connection(
            clientAddress: [192, 168, 1, 2], clientPort: 50000, serverAddress: [192, 168, 1, 1], serverPort: 80,
            writes: [(true, Array("GET / HTTP/1.1\r\nHost: example\r\n\r\n".utf8)), (false, Array("HTTP/1.1 204 No Content\r\n\r\n".utf8))])
        try Data(PcapWriter().capture([http])).write(to: URL(fileURLWithPath: directory.appending("http.pcap")))
        let outcome = try await KeygateBinary.run(["decode", directory.appending("http.pcap")])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("192.168.1.2:50000 -> 192.168.1.1:80: not KeyGate"))
        #expect(outcome.stdout.contains("no KeyGate traffic in this capture"))
    }

    @Test(arguments: [["decode"], ["decode", "a.pcap", "b.pcap"], ["decode", "a.pcap", "--nope"]])
    func badArgumentsAreUsageErrors(arguments: [String]) async throws {
        let outcome = try await KeygateBinary.run(arguments)
        #expect(outcome.status == 2)
    }

    @Test func anUnreadableFileOrKeylogFails() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let missing = try await KeygateBinary.run(["decode", directory.appending("none.pcap")])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("cannot read \(directory.appending("none.pcap")): open: No such file or directory"))
        _ = try await Self.writeChatCapture(in: directory)
        try Data("KEYGATE_SESSION Noise_XX_25519_ChaChaPoly_SHA256 zz\n".utf8).write(to: URL(fileURLWithPath: directory.appending("bad.keys")))
        let badKeyLog = try await KeygateBinary.run(["decode", directory.appending("lab.pcap"), "--keylog", directory.appending("bad.keys")])
        #expect(badKeyLog.status == 1)
        #expect(badKeyLog.stderr.contains("keylog line 1: has 3 fields, expected 6"))
        let pcapng = try await KeygateBinary.run(["decode", directory.appending("bad.keys")])
        #expect(pcapng.status == 1)
        #expect(pcapng.stderr.contains("not a libpcap capture"))
    }
}
