import KeyGateSystem
import Foundation
import Glibc
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// SIGHUP on a real `keygate serve` with a chat session running.
@Suite(.exclusiveNetwork)
struct ServeReloadTests {
    static let base = """
        listen 127.0.0.1:0
        data-ports 23100-23119
        services chat
        suites Noise_XX_25519_ChaChaPoly_SHA256

        """

    @Test func aGoodReloadAppliesLiveSettingsReportsTheOthersAndKeepsTheSession() async throws {
        let server = try await ServeProcess.start(config: Self.base)
        defer { server.remove() }
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }
        #expect(try await alice.sayAndHear("before"))

        try ServeProcess.writeConfig(Self.base.replacingOccurrences(of: "23100-23119", with: "23100-23139")
            + "log-level warning\nmax-source-grants 3\n", in: server.keys)
        let before = server.lines.count
        server.send(SIGHUP)
        let reloaded = try #require(await server.line(containing: " reloaded ", after: before))
        #expect(reloaded.contains("configuration=read"))
        #expect(reloaded.contains("applied=max-source-grants,log-level") || reloaded.contains("applied=log-level,max-source-grants"))
        #expect(reloaded.contains("restart_needed=data-ports,max-key-data-ports"), "\(reloaded)")
        let restart = try #require(await server.line(containing: "setting changed: it applies after a restart setting=data-ports", after: before))
        #expect(restart.contains("running=23100-23119 configured=23100-23139"))
        #expect(await server.line(containing: "source limits changed", after: before)?.contains("max_source_grants=3") == true)

        // The session goes on, and the new log level is in force: the
        // INFO lines of alice's connection are not written for bob's.
        #expect(try await alice.sayAndHear("after"))
        #expect(server.lines.prefix(before).contains { $0.contains("INFO  granted") && $0.contains("name=alice") })
        let bob = try await GateClient.connect(try await server.client("bob"))
        _ = try await bob.chatEvents { $0 == .joined("bob") }
        #expect(try await bob.sayAndHear("hello"))
        #expect(!server.lines.dropFirst(before).contains { $0.contains("INFO ") && $0.contains("name=bob") })
        await bob.channel.close()
        await alice.channel.close()
        #expect(await server.stop() == 0)
    }

    @Test func aBrokenConfigurationIsReportedAndTheRunningOneKept() async throws {
        let server = try await ServeProcess.start(config: Self.base + "max-source-grants 5\n")
        defer { server.remove() }
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }

        try ServeProcess.writeConfig(Self.base + "max-source-grants 1\nchat-rate fast\nlisten-twice yes\n", in: server.keys)
        var before = server.lines.count
        server.send(SIGHUP)
        let reloaded = try #require(await server.line(containing: " reloaded ", after: before))
        #expect(reloaded.contains("configuration=\"kept (it has problems)\""), "\(reloaded)")
        let refusals = server.lines.dropFirst(before).filter { $0.contains("reload refused") }
        #expect(refusals.count == 2)
        #expect(refusals.first?.contains("keygate.conf:6: chat-rate must be a whole number") == true, "\(refusals)")
        #expect(refusals.last?.contains("keygate.conf:7: unknown key 'listen-twice'") == true)
        #expect(!server.lines.dropFirst(before).contains { $0.contains("source limits changed") })
        #expect(try await alice.sayAndHear("still here"))

        // Fixed, it is read at the next SIGHUP.
        try ServeProcess.writeConfig(Self.base + "max-source-grants 1\n", in: server.keys)
        before = server.lines.count
        server.send(SIGHUP)
        #expect(await server.line(containing: " reloaded ", after: before)?.contains("applied=max-source-grants") == true)
        #expect(try await alice.sayAndHear("and still"))
        await alice.channel.close()
        #expect(await server.stop() == 0)
    }

    @Test func aLiveLimitIsEnforcedAndARevokedKeyLosesOnlyItsSession() async throws {
        let server = try await ServeProcess.start(config: Self.base)
        defer { server.remove() }
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }
        let bobOptions = try await server.client("bob")
        let bob = try await GateClient.connect(bobOptions)
        _ = try await bob.chatEvents { $0 == .joined("bob") }
        let bobKey = try #require(try bobOptions.keys.loadIdentity(name: "bob", algorithm: .x25519)).publicKey
        let revoked = server.keys + "/" + AuthorizedKeys.revokedFileName
        try (AuthorizedKeys.line(for: bobKey, name: "bob", options: KeyOptions()) + "\n")
            .write(toFile: revoked, atomically: true, encoding: .utf8)
        try ServeProcess.writeConfig(Self.base + "max-source-handshakes 1\n", in: server.keys)
        let before = server.lines.count
        server.send(SIGHUP)
        #expect(await server.line(containing: " reloaded ", after: before)?.contains("revoked=1") == true)
        // Bob's session ends; alice's goes on.
        #expect(try await bob.chatEvents { _ in false }.allSatisfy { event in
            if case .message = event { return false }
            return true
        })
        #expect(try await alice.sayAndHear("alone now"))
        // One handshake in progress from 127.0.0.1 at most: a silent
        // connection holds it, the next is closed at once.
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let silent = try await TCPConnection.connect(to: address)
        try await silent.write([0])
        #expect(await eventually {
            guard let second = try? await TCPConnection.connect(to: address) else { return false }
            let closed = (try? await second.read(deadline: .after(.seconds(2)))) == nil
            await second.close()
            return closed && server.lines.dropFirst(before).contains { $0.contains("refused source=127.0.0.1 reason=source-limit") }
        })
        await silent.close()
        await alice.channel.close()
        #expect(await server.stop() == 0)
    }

    @Test func aReloadReadsTheAllowListAndTheKeyFilesAgain() async throws {
        let server = try await ServeProcess.start(config: Self.base)
        defer { server.remove() }
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await alice.chatEvents { $0 == .joined("alice") }
        // A broken line and a private key others can read: reported, the
        // session goes on.
        let list = KeyStore(directory: server.keys).authorizedKeysPath
        let handle = try #require(FileHandle(forWritingAtPath: list))
        handle.seekToEndOfFile()
        handle.write(Data("x25519 not-base64 carol\n".utf8))
        try handle.close()
        let key = KeyStore(directory: server.keys).privateKeyPath(name: "server", algorithm: .x25519)
        #expect(chmod(key, 0o640) == 0)
        let before = server.lines.count
        server.send(SIGHUP)
        let reloaded = try #require(await server.line(containing: " reloaded ", after: before))
        #expect(reloaded.contains("clients=1"), "\(reloaded)")
        #expect(await server.line(containing: "allow-list problem=", after: before)?.contains("\(list):") == true)
        #expect(await server.line(containing: "server key file problem", after: before)?.contains("chmod 600 \(key)") == true)
        #expect(try await alice.sayAndHear("unaffected"))
        await alice.channel.close()
        #expect(await server.stop() == 0)
    }
}
