import Foundation
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateLab
import KeyGateTestSupport
import Testing

/// The whole lab on the real wire: tcpdump on the loopback interface
/// records `keygate chat --keylog` talking to a server that keeps a keylog
/// too, and `keygate decode` reads the chat back out of the capture.
@Suite(.exclusiveNetwork, .enabled(if: geteuid() == 0 && KeygateBinary.toolExists("tcpdump"), "needs root and tcpdump"))
struct DecodeLiveCaptureTests {
    @Test func aTcpdumpCaptureOfARealChatIsDecrypted() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let serverKeyLog = try SessionKeyLog.open(path: directory.appending("server.keys"))
        let server = try await TestServer.start(services: [ChatService(log: .silent)]) { $0.keyLog = serverKeyLog }
        let capture = directory.appending("lo.pcap")
        let range = TestServer.dataPorts
        let tcpdump = Process()
        tcpdump.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        tcpdump.arguments = ["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", capture,
                             "tcp port \(server.port) or tcp portrange \(range.lowerBound)-\(range.upperBound)"]
        let tcpdumpErrors = KeygateBinary.pipe()
        tcpdump.standardError = tcpdumpErrors
        tcpdump.standardOutput = FileHandle.nullDevice
        try tcpdump.run()
        // The test process blocks SIGINT and SIGTERM for its signal
        // watcher, and children inherit blocked signals: only SIGKILL
        // stops tcpdump. With -U every packet is already in the file.
        defer { if tcpdump.isRunning { kill(tcpdump.processIdentifier, SIGKILL) } }
        let listening = await KeygateBinary.firstLine(containing: "listening on", in: tcpdumpErrors.fileHandleForReading)
        try #require(listening != nil, "tcpdump did not start")

        let options = try await server.client("alice")
        let outcome = try await KeygateBinary.run(
            ["chat", "127.0.0.1:\(server.port)", "--keys", options.keys.directory, "--name", "alice",
             "--keylog", directory.appending("client.keys")],
            input: "hello from the wire\n")
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stderr.contains("WARNING: --keylog \(directory.appending("client.keys")): FOR LABS ONLY"))
        var info = stat()
        #expect(stat(directory.appending("client.keys"), &info) == 0 && info.st_mode & 0o777 == 0o600)

        // The chat is over; its packets reach the file as tcpdump writes them.
        let keyLog = try KeyLogFile.entries(in: try LabFile.read(directory.appending("client.keys")))
        let said = Array(#""type":"say","text":"hello from the wire""#.utf8)
        let captured = await eventually {
            guard let bytes = try? LabFile.read(capture), let file = try? PcapFile(bytes: bytes),
                  let report = try? CaptureDecoder(keyLog: keyLog).decode(file) else { return false }
            return report.connections.flatMap(\.frames).contains { frame in
                frame.plaintext.map { String(decoding: $0, as: UTF8.self).contains(String(decoding: said, as: UTF8.self)) } ?? false
            }
        }
        kill(tcpdump.processIdentifier, SIGKILL)
        await KeygateBinary.waitForExit(tcpdump)
        await server.stopAndRemove()
        #expect(captured, "the chat never appeared decrypted in the capture")

        for keys in ["client.keys", "server.keys"] {
            let decoded = try await KeygateBinary.run(["decode", capture, "--keylog", directory.appending(keys)])
            #expect(decoded.status == 0, "\(decoded.stderr)")
            #expect(decoded.stdout.contains("link type Ethernet (1)"))
            #expect(decoded.stdout.contains("KeyGate control connection, Noise_XX_25519_ChaChaPoly_SHA256"))
            #expect(decoded.stdout.contains(#"grant: "{"ok":true,"port":"#))
            #expect(decoded.stdout.contains(#"RESUME: "RESUME""#))
            #expect(decoded.stdout.contains(#"chat message: "{"type":"say","text":"hello from the wire""#))
        }
    }
}
