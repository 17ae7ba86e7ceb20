import KeyGateSystem
import Foundation
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// Every refusal the server makes, made for real against a server on
/// 127.0.0.1: one line each, of one shape, and the shipped fail2ban filter
/// (contrib/fail2ban/keygate.conf) finds the address in the ones it bans for.
@Suite(.exclusiveNetwork)
struct RefusalLogTests {
    /// The repository's contrib folder.
    static let contrib = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib").path

    /// The refusals the filter bans for; the others an honest client can meet.
    static let banned: Set<RefusalKind> = [
        .unknownKey, .revoked, .sourceLimit, .ikReplayed, .dataPortStranger, .handshakeFailed, .badInvite, .enrolmentLimit,
    ]
    /// The refusals this test makes (the others have tests of their own:
    /// ik-busy needs a full memory, the limits many sessions).
    static let made: [RefusalKind] = [
        .unknownKey, .revoked, .notPermitted, .ikStale, .ikReplayed, .handshakeFailed, .dataPortStranger, .sourceLimit,
        .unknownService, .badInvite,
    ]

    /// A server that has refused one connection of each kind (two bad
    /// handshakes, for a summary line); its log lines once stopped.
    static func refusals(format: Log.Format) async throws -> [String] {
        let server = try await TestServer.start(
            services: [ChatService(log: Log(level: .error, destination: .memory))], logFormat: format
        ) { $0.sourceLimits.unresumedGrants = 1 }
        // unknown-key
        await #expect(throws: ClientError.self) { try await GateClient.connect(try await server.client("mallory", allowed: false)) }
        // revoked
        let eve = try await server.client("eve")
        let eveKey = try #require(try eve.keys.loadIdentity(name: "eve", algorithm: .x25519)).publicKey
        let revokedPath = server.authorizedKeys.revokedPath
        try await onFileThread {
            try (AuthorizedKeys.line(for: eveKey, name: "eve", options: KeyOptions()) + "\n")
                .write(toFile: revokedPath, atomically: true, encoding: .utf8)
        }
        await #expect(throws: ClientError.self) { try await GateClient.connect(eve) }
        // not-permitted: the key may use ftp only.
        let ftpOnly = try await server.client("frank", options: try KeyOptions(parsing: "services=\"ftp\""))
        await #expect(throws: ClientError.self) { try await GateClient.connect(ftpOnly) }
        // unknown-service
        var nowhere = try await server.client("uma")
        nowhere.service = "telnet"
        await #expect(throws: ClientError.self) { try await GateClient.connect(nowhere) }
        // bad-invite: an enrolment with a token nobody issued.
        await #expect(throws: ClientError.self) {
            try await GateClient.enroll(try await server.client("ivan", allowed: false), token: "kg-invite-not-a-real-token")
        }
        // ik-stale: a client whose clock is five minutes off.
        var late = try await server.client("lena", pinned: true)
        late.clock = WallClock.system.shifted(by: .seconds(300))
        await #expect(throws: ClientError.self) { try await GateClient.connect(late) }
        // ik-replayed: a recorded IK message 1 sent again.
        let relay = try RecordingRelay.start(to: server.port)
        var alice = try await server.client("alice", pinned: true)
        alice.port = relay.port
        await (try await GateClient.connect(alice)).channel.close()
        let recorded = try #require(relay.connections.first).fromClient
        await relay.stop()
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        #expect(try await Self.exchange(recorded, with: address).isEmpty)
        // handshake-failed, twice: a frame that is no protocol name.
        for _ in 0..<2 {
            #expect(try await Self.exchange([0, 3, 0xff, 0xfe, 0xfd], with: address).isEmpty)
        }
        // data-port-stranger: garbage on a granted data port.
        let granted = try await GrantedButNotResumed.open(server: server, name: "dora")
        #expect(try await Self.exchange([0, 40] + [UInt8](repeating: 0x41, count: 40),
                                        with: SocketAddress(host: "127.0.0.1", port: granted.port)).isEmpty)
        // source-limit: dora's grant is the one unresumed grant allowed.
        // (Until the server has counted it, a connection is admitted and
        // ends as one more failed handshake, summarised.)
        #expect(await eventually {
            if let connection = try? await TCPConnection.connect(to: address) { await connection.close() }
            return server.log.lines.contains { $0.contains("refused source=127.0.0.1 reason=source-limit") || $0.contains(#""reason":"source-limit""#) }
        })
        await granted.control.close()
        await server.stop()
        server.directory.remove()
        return server.log.lines
    }

    /// Sends `bytes` on a new connection to `address` and returns what
    /// comes back until the server closes it.
    static func exchange(_ bytes: [UInt8], with address: SocketAddress) async throws -> [UInt8] {
        let connection = try await TCPConnection.connect(to: address, deadline: .after(.seconds(10)))
        if !bytes.isEmpty { try await connection.write(bytes) }
        var answer: [UInt8] = []
        while let more = try await connection.read(deadline: .after(.seconds(10))) { answer += more }
        await connection.close()
        return answer
    }

    @Test(arguments: [Log.Format.text, .json])
    func everyRefusalIsOneLineTheFilterMatches(format: Log.Format) async throws {
        let lines = try await Self.refusals(format: format)
        for kind in Self.made {
            let shape = format == .text
                ? "^\\S+Z (INFO |WARN ) refused source=127\\.0\\.0\\.1 reason=\(kind.rawValue) detail="
                : "^\\{\"time\":\"[^\"]+Z\",\"level\":\"(info|warning)\",\"event\":\"refused\",\"source\":\"127\\.0\\.0\\.1\",\"reason\":\"\(kind.rawValue)\",\"detail\":"
            let matching = lines.filter { $0.range(of: shape, options: .regularExpression) != nil }
            #expect(matching.count == 1, "\(kind): \(lines.filter { $0.contains(kind.rawValue) })")
        }
        let summaries = lines.filter { $0.contains("repeated failures") && $0.contains("127.0.0.1") }
        #expect(!summaries.isEmpty, "the second bad handshake is summarised")
        // The lines the filter must find: the banned refusals and the summaries.
        let expected = lines.filter { line in
            summaries.contains(line) || Self.banned.contains { kind in
                line.contains(format == .text ? "reason=\(kind.rawValue) " : "\"reason\":\"\(kind.rawValue)\"")
            }
        }
        let filter = try Fail2banFilter(path: Self.contrib + "/fail2ban/keygate.conf")
        let found = lines.filter { filter.host(in: $0) != nil }
        #expect(found == expected)
        #expect(found.allSatisfy { filter.host(in: $0) == "127.0.0.1" })
        #expect(lines.filter { $0.contains("reason=not-permitted") || $0.contains("\"reason\":\"not-permitted\"") }
            .allSatisfy { filter.host(in: $0) == nil })
        // fail2ban's own reading of the same lines, where it is installed.
        if FileManager.default.isExecutableFile(atPath: Self.fail2banRegex) {
            #expect(try await Self.fail2banMatches(lines) == expected.count)
        }
    }

    @Test func theJailNamesTheFilterAndThePorts() throws {
        let jail = try String(contentsOfFile: Self.contrib + "/fail2ban/keygate-jail.conf", encoding: .utf8)
        #expect(jail.contains("[keygate]"))
        #expect(jail.contains("filter   = keygate"))
        #expect(jail.contains("port     = 7700:7799"))
    }

    static let fail2banRegex = "/usr/bin/fail2ban-regex"

    /// The number of `lines` fail2ban-regex matches with the filter.
    static func fail2banMatches(_ lines: [String]) async throws -> Int {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("keygate.log")
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let output = try await onFileThread { () -> String in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: fail2banRegex)
            process.arguments = [file, contrib + "/fail2ban/keygate.conf"]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return String(decoding: data, as: UTF8.self)
        }
        let match = try #require(output.firstMatch(of: /Lines: \d+ lines, \d+ ignored, (\d+) matched/), "\(output)")
        return try #require(Int(match.1))
    }
}
