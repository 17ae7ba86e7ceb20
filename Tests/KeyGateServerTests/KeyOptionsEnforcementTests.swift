import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateFTP
import Glibc
import Foundation
import KeyGateKeys
import KeyGateServer
import KeyGateTestSupport
import Testing

/// The allow-list's per-key options and revocation, enforced by a real
/// server on 127.0.0.1.
@Suite(.exclusiveNetwork)
struct KeyOptionsEnforcementTests {
    /// A server offering chat and FTP.
    static func server() async throws -> TestServer {
        let directory = TemporaryDirectory()
        let root = directory.appending("ftp-root")
        try #require(mkdir(root, 0o700) == 0)
        return try await TestServer.start(
            services: [ChatService(log: Log(level: .error, destination: .memory)), FTPService(root: root)],
            directory: directory)
    }

    static func options(_ field: String) throws -> KeyOptions {
        try KeyOptions(parsing: field)
    }

    /// Connecting fails with the generic denial of a listed key.
    static func expectNotPermitted(_ options: GateClientOptions) async {
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return reason == GrantReply.Reason.notPermitted && !retry
        }
    }

    @Test func fromLetsInOnlyTheListedAddresses() async throws {
        let server = try await Self.server()
        let outside = try await server.client("outside", options: Self.options(#"from="10.0.0.0/8,::1""#))
        await Self.expectNotPermitted(outside)
        #expect(!server.logLines(containing: "address 127.0.0.1 not in the key's from=").isEmpty)
        let inside = try await server.client("inside", options: Self.options(#"from="10.0.0.0/8,127.0.0.0/8""#))
        let session = try await GateClient.connect(inside)
        #expect(session.name == "inside")
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func anExpiredKeyIsDeniedAndOneNotYetExpiredIsNot() async throws {
        let server = try await Self.server()
        let expired = try await server.client("old", options: Self.options(#"expiry-time="20200101Z""#))
        await Self.expectNotPermitted(expired)
        #expect(!server.logLines(containing: "key expired at 20200101Z").isEmpty)
        let current = try await server.client("new", options: Self.options(#"expiry-time="20991231""#))
        let session = try await GateClient.connect(current)
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func servicesLimitsWhatTheKeyMayAskFor() async throws {
        let server = try await Self.server()
        var chatOnly = try await server.client("carol", options: Self.options(#"services="chat""#))
        let session = try await GateClient.connect(chatOnly)
        await session.channel.close()
        chatOnly.service = KeyGateWire.ftpService
        await Self.expectNotPermitted(chatOnly)
        #expect(!server.logLines(containing: "service 'ftp' not in the key's services=").isEmpty)
        await server.stopAndRemove()
    }

    @Test func aLineWithABadOptionFailsClosed() async throws {
        let server = try await Self.server()
        let options = try await server.client("dave")
        let path = server.keys.authorizedKeysPath
        let bytes = try #require(readFile(path))
        let contents = String(decoding: bytes, as: UTF8.self)
        try writeFile(path, Array(contents.replacingOccurrences(of: "x25519 ", with: #"from="10.0.0.0/33" x25519 "#).utf8))
        await Self.expectNotPermitted(options)
        #expect(!server.logLines(containing: "has options that cannot be used").isEmpty)
        await server.stopAndRemove()
    }

    @Test func aRevokedKeyIsDeniedAndItsRunningSessionClosedWithinASecond() async throws {
        let server = try await Self.server()
        let options = try await server.client("erin")
        let running = try await GateClient.connect(options)
        try await running.channel.send(ChatRequest.say("before").json.bytes)
        #expect(try await running.channel.receive() == ChatEvent.joined("erin").json.bytes)
        _ = try await running.channel.receive()
        let identity = try #require(try options.keys.loadIdentity(name: "erin", algorithm: .x25519))
        let revokedAt = ContinuousClock.now
        let revoked = try await onFileThread { try server.authorizedKeys.revoke(.key(identity.publicKey)) }
        #expect(revoked.map(\.name) == ["erin"])
        // The server closes the channel: reads end (nil or an error).
        while let _ = try? await running.channel.receive() {}
        #expect(ContinuousClock.now - revokedAt < .seconds(1.5))
        // The line is logged right after the session is ended, so it may
        // come a moment after the channel closed.
        #expect(await eventually { !server.logLines(containing: "sessions closed: key revoked").isEmpty })
        await Self.expectNotPermitted(options)
        #expect(!server.logLines(containing: "key revoked (").isEmpty)
        await server.stopAndRemove()
    }
}
