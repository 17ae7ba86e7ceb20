import Glibc
import KeyGateChannel
import KeyGateChat
@testable import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSystem
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// Invites redeemed with the `enroll` service against a real server on
/// 127.0.0.1: valid, reused, expired, wrong, flooded, and the keys the
/// allow-list already judges.
@Suite(.exclusiveNetwork)
struct EnrolmentTests {
    static func server() async throws -> TestServer {
        try await TestServer.start(services: [ChatService(log: Log(level: .error, destination: .memory))])
    }

    static func now() -> Int64 { Int64(time(nil)) }

    static func invite(_ server: TestServer, name: String, options: KeyOptions = KeyOptions(), expires: Int64? = nil) async throws -> String {
        let list = server.authorizedKeys
        let expiry = expires ?? now() + 3600
        return try await onFileThread { try list.invite(name: name, options: options, expires: expiry, now: now()) }
    }

    static func expectDenied(_ options: GateClientOptions, token: String, reason: String, retry: Bool = false) async {
        await #expect {
            try await GateClient.enroll(options, token: token)
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(text, again) = error else { return false }
            return text == "enrolment refused: " + reason && again == retry
        }
    }

    @Test func aValidInviteEnrolsTheKeyWithItsNameAndOptionsAndTheClientGoesOnAsThatName() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob", options: try KeyOptions(parsing: #"services="chat""#))
        let bob = try await server.client("newcomer", allowed: false)
        #expect(try await GateClient.enroll(bob, token: token) == "bob")
        let session = try await GateClient.connect(bob)
        #expect(session.name == "bob")
        await session.channel.close()
        let entry = try #require(server.authorizedKeys.entries.first { $0.name == "bob" })
        #expect(entry.options.services == ["chat"])
        #expect(try server.authorizedKeys.readInvites().invites.isEmpty)
        #expect(!server.logLines(containing: "enrolled").isEmpty)
        await server.stopAndRemove()
    }

    @Test func aClientThatPinsTheServerKeyEnrolsOverIK() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "ike")
        let ike = try await server.client("ike", allowed: false, pinned: true)
        #expect(ike.protocolName.contains("_IK_"))
        #expect(try await GateClient.enroll(ike, token: token) == "ike")
        let session = try await GateClient.connect(ike)
        #expect(session.name == "ike")
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func anInviteWorksOnceASecondKeyWithTheSameTokenIsDenied() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob")
        let first = try await server.client("first", allowed: false)
        let second = try await server.client("second", allowed: false)
        #expect(try await GateClient.enroll(first, token: token) == "bob")
        await Self.expectDenied(second, token: token, reason: EnrolmentMessage.Reply.Reason.invalidInvite)
        await #expect(throws: ClientError.self) { try await GateClient.connect(second) }
        #expect(server.authorizedKeys.entries.count == 1)
        await server.stopAndRemove()
    }

    @Test func anExpiredInviteIsDeniedAndTheKeyStaysOut() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "late", expires: Self.now() - 1)
        let late = try await server.client("late", allowed: false)
        await Self.expectDenied(late, token: token, reason: EnrolmentMessage.Reply.Reason.invalidInvite)
        #expect(server.authorizedKeys.entries.isEmpty)
        await server.stopAndRemove()
    }

    @Test func aWrongTokenIsDeniedAndTheRealInviteStillWorks() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob")
        let bob = try await server.client("bob", allowed: false)
        var wrong = Array(token)
        wrong[0] = wrong[0] == "a" ? "b" : "a"
        await Self.expectDenied(bob, token: String(wrong), reason: EnrolmentMessage.Reply.Reason.invalidInvite)
        await Self.expectDenied(bob, token: "", reason: EnrolmentMessage.Reply.Reason.malformedRequest)
        #expect(try await GateClient.enroll(bob, token: token) == "bob")
        await server.stopAndRemove()
    }

    /// After five failures an address is refused before its token is
    /// looked at: even a valid one waits.
    @Test func floodedFailuresFromOneAddressAreRefusedEvenWithAValidToken() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob")
        let mallory = try await server.client("mallory", allowed: false)
        for attempt in 0..<5 {
            await Self.expectDenied(mallory, token: "guess\(attempt)", reason: EnrolmentMessage.Reply.Reason.invalidInvite)
        }
        await Self.expectDenied(mallory, token: token, reason: EnrolmentMessage.Reply.Reason.tooManyFailures, retry: true)
        #expect(server.authorizedKeys.entries.isEmpty)
        #expect(try server.authorizedKeys.readInvites().invites.count == 1)
        await server.stopAndRemove()
    }

    @Test func aKeyAlreadyAllowedIsToldItsNameWithoutUsingTheInvite() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob")
        let alice = try await server.client("alice")
        #expect(try await GateClient.enroll(alice, token: token) == "alice")
        #expect(try server.authorizedKeys.readInvites().invites.count == 1)
        await server.stopAndRemove()
    }

    @Test func aRevokedKeyCannotEnrolAgainWithAnInvite() async throws {
        let server = try await Self.server()
        let alice = try await server.client("alice")
        let list = server.authorizedKeys
        _ = try await onFileThread { try list.revoke(.name("alice")) }
        let token = try await Self.invite(server, name: "alice2")
        await Self.expectDenied(alice, token: token, reason: GrantReply.Reason.notPermitted)
        #expect(try server.authorizedKeys.readInvites().invites.count == 1)
        await server.stopAndRemove()
    }

    @Test func anInviteWhoseNameWasTakenMeanwhileIsRefusedAndKept() async throws {
        let server = try await Self.server()
        let token = try await Self.invite(server, name: "bob")
        _ = try await server.client("bob")
        let other = try await server.client("other", allowed: false)
        await Self.expectDenied(other, token: token, reason: EnrolmentMessage.Reply.Reason.nameTaken)
        await server.stopAndRemove()
    }

    @Test func aClientThatSendsNothingIsAnsweredAndClosedAfterTheTimeout() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)]) { $0.handshakeTimeout = .seconds(1) }
        let silent = try await server.client("silent", allowed: false, service: KeyGateWire.enrollService)
        let identity = try await onFileThread { try silent.keys.loadOrCreateIdentity(name: "silent", algorithm: .x25519).0 }
        let connection = try await TCPConnection.connect(to: try SocketAddress(host: "127.0.0.1", port: server.port))
        let channel = try await GateClient.handshake(connection, options: silent, identity: identity, trace: nil)
        let reply = try await channel.receive(deadline: .now + .seconds(5))
        #expect(try EnrolmentMessage.Reply(parsing: try #require(reply))
            == .denied(reason: EnrolmentMessage.Reply.Reason.malformedRequest, retry: false))
        await connection.close()
        await server.stopAndRemove()
    }

    @Test func loginsAreRecordedInTheLastSeenFileWhenTheServerStops() async throws {
        let directory = TemporaryDirectory()
        let path = directory.appending("server-keys") + "/last_seen"
        let server = try await TestServer.start(services: [ChatService(log: .silent)], directory: directory) {
            $0.lastSeenPath = path
        }
        let alice = try await server.client("alice")
        let before = Self.now()
        let session = try await GateClient.connect(alice)
        await session.channel.close()
        await server.stop()
        let fingerprint = try #require(server.authorizedKeys.entries.first?.key.fingerprint)
        let seen = try LastSeenFile(path: path).read()
        let time = try #require(seen[fingerprint])
        #expect(time >= before - 1 && time <= Self.now() + 1)
        var info = stat()
        #expect(stat(path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        directory.remove()
    }
}
