import KeyGateSystem
import KeyGateChannel
@testable import KeyGateClient
import KeyGateCrypto
import KeyGateKeys
import KeyGateNoise
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// The client side of the control port and the data-port move, against
/// servers that misbehave on purpose.
@Suite(.exclusiveNetwork)
struct GateClientTests {
    static func keys() throws -> SessionKeys {
        SessionKeys(
            suite: try! NoiseProtocolName("Noise_XX_25519_ChaChaPoly_SHA256"), handshakeHash: [UInt8](repeating: 0, count: 32),
            sending: try CipherState(key: [UInt8](repeating: 1, count: 32)),
            receiving: try CipherState(key: [UInt8](repeating: 2, count: 32)), remoteStaticKey: [])
    }

    /// PROTOCOL.md section 4.4: a data connection cut before the server's
    /// first message is made again, with the very same RESUME frame.
    @Test func aDataConnectionCutBeforeItsAcknowledgementIsMadeAgain() async throws {
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        var keys = try Self.keys()
        let frame = try SecureChannel.resumeFrame(advancing: &keys)
        let server = Task {
            var received: [[UInt8]] = []
            for attempt in 0..<3 {
                let connection = try await listener.accept(deadline: .after(.seconds(10)))
                received.append(try await connection.readExactly(frame.count, deadline: .after(.seconds(10))))
                if attempt < 2 {
                    await connection.abort()  // cut before any acknowledgement
                    continue
                }
                try await connection.write([0, 1, 0x41])  // any frame acknowledges
                return (received, connection)
            }
            throw ChannelError.closed
        }
        let started = ContinuousClock.now
        let channel = try await GateClient.resume(
            at: listener.localAddress, frame: frame, keys: keys, timeout: .seconds(10),
            reconnection: Reconnection(until: .now + .seconds(30)))
        let (received, connection) = try await server.value
        #expect(received == [frame, frame, frame])
        #expect(ContinuousClock.now - started >= .milliseconds(200), "at least 100 ms before each new attempt")
        #expect(try await channel.awaitFrame(deadline: .now + .seconds(1)))
        await channel.close()
        await connection.close()
        await listener.close()
    }

    /// A connection that stays open without an acknowledgement for 5
    /// seconds is a failure, not a reason to reconnect.
    @Test func aSilentDataPortIsAFailureNotARetry() async throws {
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        var keys = try Self.keys()
        let frame = try SecureChannel.resumeFrame(advancing: &keys)
        let server = Task { try await listener.accept(deadline: .after(.seconds(10))) }
        await #expect(throws: TimedOut.self) {
            try await GateClient.resume(
                at: listener.localAddress, frame: frame, keys: keys, timeout: .seconds(10),
                reconnection: Reconnection(until: .now + .seconds(30)))
        }
        await (try await server.value).close()
        await listener.close()
    }

    /// A version 1 server answers XX message 1 under its own prologue: the
    /// client cannot decrypt message 2 and says the versions likely differ.
    @Test func aVersionOneServerFailsTheHandshakeWithAMessageAboutTheVersion() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        let serverKey = PrivateKey.generate(algorithm: .x25519)
        let server = Task {
            var channel = FramedStream(stream: try await listener.accept(deadline: .after(.seconds(10))))
            let name = String(decoding: try #require(try await channel.readFrame(deadline: .now + .seconds(10))), as: UTF8.self)
            let handshake = try HandshakeState(
                protocolName: name, initiator: false, prologue: Array("KeyGate/1".utf8) + [0] + Array(name.utf8),
                localStaticKeyPair: serverKey.keyPair, remoteStaticPublicKey: nil)
            _ = try handshake.readMessage(try #require(try await channel.readFrame(deadline: .now + .seconds(10))))
            try await channel.writeFrame(try handshake.writeMessage(payload: []))
            _ = try? await channel.readFrame(deadline: .now + .seconds(10))
            await channel.close()
        }
        let options = GateClientOptions(
            host: "127.0.0.1", port: listener.localAddress.port, keys: KeyStore(directory: directory.appending("keys")),
            identityName: "alice", service: "chat", timeout: .seconds(10), log: Log(level: .error, destination: .memory))
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            let text = "\(error)"
            return text.contains("another protocol version") && text.contains(KeyGateWire.protocolVersion)
        }
        _ = await server.result
        await listener.close()
    }

    /// A version 1 client's IK message 1 does not decrypt at a version 2
    /// server, whose log says the versions likely differ.
    @Test func aVersionOneIKClientIsLoggedAsSuch() async throws {
        let server = try await TestServer.start(services: [])
        let options = try await server.client("alice", pinned: true)
        let identity = try #require(try options.keys.loadIdentity(name: "alice", algorithm: .x25519))
        let name = options.protocolName
        var channel = FramedStream(stream: try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port)))
        try await channel.writeFrame(Array(name.utf8))
        let handshake = try HandshakeState(
            protocolName: name, initiator: true, prologue: Array("KeyGate/1".utf8) + [0] + Array(name.utf8),
            localStaticKeyPair: identity.privateKey.keyPair, remoteStaticPublicKey: server.publicKey().bytes)
        try await channel.writeFrame(try handshake.writeMessage(payload: Array("chat".utf8)))
        #expect(try await channel.readFrame(deadline: .now + .seconds(10)) == nil, "closed without message 2")
        await channel.close()
        let failures = server.logLines(containing: "reason=handshake-failed")
        #expect(failures.count == 1)
        #expect(failures.first?.contains("another protocol version") == true)
        await server.stopAndRemove()
    }
}
