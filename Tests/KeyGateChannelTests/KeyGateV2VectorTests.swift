import KeyGateSystem
import Foundation
import KeyGateChannel
import KeyGateCrypto
import KeyGateFixtures
import KeyGateNoise
import Synchronization
import Testing

/// KeyGate protocol version 2 to the byte, against vectors computed by an
/// independent implementation written from the specifications alone
/// (`Tests/Interop/generate_vectors.py` on `keygate_v2_client.py`):
/// KeyGate's Noise states, prologues, psk derivation, frames and channels
/// must reproduce every byte of them.
struct KeyGateV2VectorTests {
    struct HandshakeMessage: Decodable, Sendable {
        let sender: String
        let payload: String
        let message: String
        let frame: String
    }

    struct TransportMessage: Decodable, Sendable {
        let sender: String
        let nonce: UInt64
        let note: String
        let plaintext: String
        let ciphertext: String
        let frame: String

        var fromClient: Bool { sender == "client" }
    }

    /// Sections 1-4: a control-port handshake and the first transport messages.
    struct ControlVector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let protocol_name: String
        let negotiation_frame: String
        let prologue: String
        let service: String
        let timestamp_us: UInt64?
        let client_static_private: String
        let client_static_public: String
        let server_static_private: String
        let server_static_public: String
        let client_ephemeral_private: String
        let client_ephemeral_public: String
        let server_ephemeral_private: String
        let server_ephemeral_public: String
        let messages: [HandshakeMessage]
        let handshake_hash: String
        let transport: [TransportMessage]

        var testDescription: String { name }
        var pattern: String { isIK ? "IK" : "XX" }
        var isIK: Bool { protocol_name.hasPrefix("Noise_IK_") }
    }

    /// Section 6: an FTP data connection.
    struct DataVector: Decodable, Sendable, CustomTestStringConvertible {
        let name: String
        let protocol_name: String
        let prologue: String
        let data_key: String
        let data_key_base64: String
        let passive_number: UInt64
        let psk_message: String
        let psk: String
        let initiator_ephemeral_private: String
        let initiator_ephemeral_public: String
        let responder_ephemeral_private: String
        let responder_ephemeral_public: String
        let messages: [HandshakeMessage]
        let handshake_hash: String
        let transport: [TransportMessage]

        var testDescription: String { name }
    }

    struct PresharedKeyVector: Decodable, Sendable, CustomTestStringConvertible {
        let data_key: String
        let passive_number: UInt64
        let psk: String

        var testDescription: String { "passive number \(passive_number)" }
    }

    struct VectorFile: Decodable, Sendable {
        let control: [ControlVector]
        let data: [DataVector]
        let psk: [PresharedKeyVector]
    }

    static let file: VectorFile = {
        let url = Bundle.module.url(forResource: "keygate-v2-vectors", withExtension: "json")!
        return try! JSONDecoder().decode(VectorFile.self, from: try! Data(contentsOf: url))
    }()

    /// The ephemeral private key a vector fixes, as the server's random source.
    struct FixedEphemeralKey: RandomSource {
        let key: [UInt8]

        func bytes(count: Int) -> [UInt8] {
            precondition(count == key.count, "asked for \(count) random bytes, the vector fixes \(key.count)")
            return key
        }
    }

    /// What the server's IK judge was shown.
    final class Recorder<Value: Sendable>: Sendable {
        private let value = Mutex<Value?>(nil)

        func record(_ newValue: Value) { value.withLock { $0 = newValue } }
        var recorded: Value? { value.withLock { $0 } }
    }

    static let deadline: Duration = .seconds(10)

    /// Reads exactly `count` bytes from `stream`.
    static func read(_ count: Int, from stream: InMemoryByteStream) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        while bytes.count < count {
            let chunk = try await stream.read(upTo: count - bytes.count, deadline: .now + deadline)
            bytes += try #require(chunk, "the stream ended after \(bytes.count) of \(count) bytes")
        }
        return bytes
    }

    // MARK: The file

    @Test func theFileHoldsXXAndIKControlVectorsAndADataVector() {
        #expect(Self.file.control.map(\.pattern).sorted() == ["IK", "XX"])
        #expect(Self.file.control.contains { $0.timestamp_us != nil && $0.isIK })
        #expect(Self.file.control.contains { $0.service == "ftp" })
        #expect(Self.file.data.count == 1)
        #expect(Self.file.data.first?.passive_number == 1)
        #expect(!Self.file.psk.isEmpty)
    }

    // MARK: Control connection (sections 1-4)

    /// Section 1 and 3.1-3.2: the negotiation frame and the prologue.
    @Test(arguments: file.control)
    func negotiationFrameAndPrologue(_ vector: ControlVector) async throws {
        #expect(KeyGateWire.suiteName(pattern: vector.pattern, dh: "25519") == vector.protocol_name)
        #expect(KeyGateWire.prologue(for: vector.protocol_name) == [UInt8](hex: vector.prologue))
        let (a, b) = InMemoryByteStream.pair()
        try await FramedStream(stream: a).writeFrame(Array(vector.protocol_name.utf8))
        let expected = [UInt8](hex: vector.negotiation_frame)
        #expect(try await Self.read(expected.count, from: b) == expected)
    }

    /// Every handshake message, the handshake hash and the first transport
    /// messages of both directions, in both roles, from KeyGate's Noise states.
    @Test(arguments: file.control)
    func replaysTheControlHandshakeInBothRoles(_ vector: ControlVector) throws {
        let dh = Curve25519()
        #expect(try dh.publicKey(privateKey: [UInt8](hex: vector.client_static_private)) == [UInt8](hex: vector.client_static_public))
        #expect(try dh.publicKey(privateKey: [UInt8](hex: vector.server_static_private)) == [UInt8](hex: vector.server_static_public))
        let prologue = KeyGateWire.prologue(for: vector.protocol_name)
        let client = try HandshakeState(
            protocolName: vector.protocol_name, initiator: true, prologue: prologue,
            localStaticPrivateKey: [UInt8](hex: vector.client_static_private),
            localEphemeralPrivateKey: [UInt8](hex: vector.client_ephemeral_private),
            remoteStaticPublicKey: vector.isIK ? [UInt8](hex: vector.server_static_public) : nil, presharedKeys: [])
        let server = try HandshakeState(
            protocolName: vector.protocol_name, initiator: false, prologue: prologue,
            localStaticPrivateKey: [UInt8](hex: vector.server_static_private),
            localEphemeralPrivateKey: [UInt8](hex: vector.server_ephemeral_private),
            remoteStaticPublicKey: nil, presharedKeys: [])
        for (index, message) in vector.messages.enumerated() {
            let (writer, reader) = message.sender == "client" ? (client, server) : (server, client)
            let payload = [UInt8](hex: message.payload)
            let written = try writer.writeMessage(payload: payload)
            #expect(written == [UInt8](hex: message.message), "handshake message \(index + 1)")
            #expect(try reader.readMessage(written) == payload, "handshake message \(index + 1)")
        }
        #expect(client.isComplete && server.isComplete)
        #expect(client.handshakeHash == [UInt8](hex: vector.handshake_hash))
        #expect(server.handshakeHash == client.handshakeHash)
        #expect(client.remoteStaticPublicKey == [UInt8](hex: vector.server_static_public))
        #expect(server.remoteStaticPublicKey == [UInt8](hex: vector.client_static_public))
        #expect(server.remoteEphemeralPublicKey == [UInt8](hex: vector.client_ephemeral_public))
        #expect(client.remoteEphemeralPublicKey == [UInt8](hex: vector.server_ephemeral_public))

        var clientCiphers = try client.split()
        var serverCiphers = try server.split()
        for message in vector.transport {
            let plaintext = [UInt8](hex: message.plaintext)
            var frame: [UInt8]
            if message.fromClient {
                #expect(clientCiphers.initiatorToResponder.nonce == message.nonce, "\(message.note)")
                frame = try SecureChannel.seal(plaintext, with: &clientCiphers.initiatorToResponder)
            } else {
                #expect(serverCiphers.responderToInitiator.nonce == message.nonce, "\(message.note)")
                frame = try SecureChannel.seal(plaintext, with: &serverCiphers.responderToInitiator)
            }
            #expect(frame == [UInt8](hex: message.frame), "\(message.note)")
            var payload = Array(frame.dropFirst(2))
            #expect(payload == [UInt8](hex: message.ciphertext), "\(message.note)")
            if message.fromClient {
                try SecureChannel.open(&payload, with: &serverCiphers.initiatorToResponder)
            } else {
                try SecureChannel.open(&payload, with: &clientCiphers.responderToInitiator)
            }
            #expect(payload == plaintext, "\(message.note)")
        }
    }

    /// KeyGate's server channel, fed the vector client's frames, writes the
    /// vector server's frames: message 2, the grant, and on the data port
    /// it accepts the vector's RESUME and acknowledges it byte for byte.
    @Test(arguments: file.control)
    func serverChannelAnswersTheVectorClient(_ vector: ControlVector) async throws {
        let serverStatic = try StaticKeyPair(privateKey: [UInt8](hex: vector.server_static_private), dh: Curve25519())
        let judged = Recorder<IKFirstMessage>()
        let options = ServerHandshakeOptions(
            acceptedSuites: [vector.protocol_name], staticKeyPair: { $0 == "25519" ? serverStatic : nil },
            deadline: .now + Self.deadline,
            random: FixedEphemeralKey(key: [UInt8](hex: vector.server_ephemeral_private)),
            judgeIKFirstMessage: { first in
                judged.record(first)
                return .answer
            })
        let (client, serverEnd) = InMemoryByteStream.pair()
        async let handshake = SecureChannel.serverHandshake(over: serverEnd, options)
        try await client.write([UInt8](hex: vector.negotiation_frame))
        for (index, message) in vector.messages.enumerated() {
            let frame = [UInt8](hex: message.frame)
            if message.sender == "client" {
                try await client.write(frame)
            } else {
                #expect(try await Self.read(frame.count, from: client) == frame, "handshake message \(index + 1)")
            }
        }
        let result = try await handshake
        let server = result.channel
        #expect(result.protocolName == vector.protocol_name)
        #expect(result.service == vector.service)
        #expect(result.clientStaticKey == [UInt8](hex: vector.client_static_public))
        #expect(result.keys.handshakeHash == [UInt8](hex: vector.handshake_hash))
        #expect(result.timestamp == vector.timestamp_us)
        if vector.isIK {
            let first = try #require(judged.recorded)
            #expect(first.timestamp == vector.timestamp_us)
            #expect(first.service == vector.service)
            #expect(first.clientEphemeralKey == [UInt8](hex: vector.client_ephemeral_public))
            #expect(first.clientStaticKey == [UInt8](hex: vector.client_static_public))
        } else {
            #expect(judged.recorded == nil)
        }

        // Section 3.5: the grant is the server's first transport message.
        let messages = vector.transport
        let grant = try #require(messages.first)
        #expect(!grant.fromClient && grant.nonce == 0)
        try await server.send([UInt8](hex: grant.plaintext))
        #expect(try await Self.read([UInt8](hex: grant.frame).count, from: client) == [UInt8](hex: grant.frame))

        // Section 4: the session continues on the data port with the same keys.
        let keys = await server.sessionKeys
        let (dataClient, dataServerEnd) = InMemoryByteStream.pair()
        async let resumed = SecureChannel.acceptResume(over: dataServerEnd, keys: keys, deadline: .now + Self.deadline)
        var dataServer: SecureChannel?
        for message in messages.dropFirst() {
            let frame = [UInt8](hex: message.frame)
            if message.fromClient {
                try await dataClient.write(frame)
                if message.nonce == 0 {
                    #expect([UInt8](hex: message.plaintext) == KeyGateWire.resumeMessage)
                    dataServer = try await resumed
                } else {
                    let dataServer = try #require(dataServer)
                    #expect(try await dataServer.receive(deadline: .now + Self.deadline) == [UInt8](hex: message.plaintext))
                }
            } else {
                let dataServer = try #require(dataServer)
                try await dataServer.send([UInt8](hex: message.plaintext))
                #expect(try await Self.read(frame.count, from: dataClient) == frame, "\(message.note)")
            }
        }
    }

    /// KeyGate's client channel (its ephemeral key is its own) sends the
    /// vector's negotiation frame and exactly the vector's payloads, the IK
    /// timestamp included, and its RESUME is the vector's plaintext at nonce 0.
    @Test(arguments: file.control)
    func clientChannelSendsTheVectorPayloads(_ vector: ControlVector) async throws {
        let timestamp = vector.timestamp_us ?? 0
        let options = ClientHandshakeOptions(
            protocolName: vector.protocol_name,
            staticKeyPair: try StaticKeyPair(privateKey: [UInt8](hex: vector.client_static_private), dh: Curve25519()),
            pinnedServerKey: vector.isIK ? [UInt8](hex: vector.server_static_public) : nil, service: vector.service,
            deadline: .now + Self.deadline, clock: WallClock { timestamp })
        let (clientEnd, serverEnd) = InMemoryByteStream.pair()
        async let clientChannel = SecureChannel.clientHandshake(over: clientEnd, options)
        var server = FramedStream(stream: serverEnd)
        #expect(try await server.readFrame(deadline: .now + Self.deadline) == Array(vector.protocol_name.utf8))
        let responder = try HandshakeState(
            protocolName: vector.protocol_name, initiator: false, prologue: [UInt8](hex: vector.prologue),
            localStaticPrivateKey: [UInt8](hex: vector.server_static_private),
            localEphemeralPrivateKey: [UInt8](hex: vector.server_ephemeral_private),
            remoteStaticPublicKey: nil, presharedKeys: [])
        for (index, message) in vector.messages.enumerated() {
            if message.sender == "client" {
                let frame = try #require(try await server.readFrame(deadline: .now + Self.deadline))
                #expect(try responder.readMessage(frame) == [UInt8](hex: message.payload), "handshake message \(index + 1)")
            } else {
                try await server.writeFrame(try responder.writeMessage(payload: [UInt8](hex: message.payload)))
            }
        }
        let client = try await clientChannel
        var keys = await client.sessionKeys
        #expect(keys.handshakeHash == responder.handshakeHash)
        #expect(keys.remoteStaticKey == [UInt8](hex: vector.server_static_public))
        var (fromClient, toClient) = try responder.split()
        let grant = try #require(vector.transport.first)
        let grantFrame = try SecureChannel.seal([UInt8](hex: grant.plaintext), with: &toClient)
        try await server.stream.write(grantFrame)
        #expect(try await client.receive(deadline: .now + Self.deadline) == [UInt8](hex: grant.plaintext))

        let resumeMessage = try #require(vector.transport.first { $0.fromClient })
        #expect(keys.sending.nonce == resumeMessage.nonce)
        var resume = Array(try SecureChannel.resumeFrame(advancing: &keys).dropFirst(2))
        try SecureChannel.open(&resume, with: &fromClient)
        #expect(resume == [UInt8](hex: resumeMessage.plaintext))
    }

    // MARK: FTP data connection (section 6)

    @Test(arguments: file.data)
    func replaysTheDataConnection(_ vector: DataVector) throws {
        let dataKey = [UInt8](hex: vector.data_key)
        #expect(Data(base64Encoded: vector.data_key_base64).map(Array.init) == dataKey)
        #expect(vector.data_key_base64.utf8.count == 44)
        #expect(DataConnectionKey.protocolName(diffieHellman: Curve25519()) == vector.protocol_name)
        #expect(KeyGateWire.ftpDataPrologue == [UInt8](hex: vector.prologue))
        #expect(KeyGateWire.ftpDataLabel + (0..<8).map { UInt8(truncatingIfNeeded: vector.passive_number >> (56 - 8 * $0)) }
            == [UInt8](hex: vector.psk_message))
        let psk = DataConnectionKey.presharedKey(dataKey: dataKey, passiveNumber: vector.passive_number)
        #expect(psk == [UInt8](hex: vector.psk))

        let client = try HandshakeState(
            protocolName: vector.protocol_name, initiator: true, prologue: KeyGateWire.ftpDataPrologue,
            localStaticPrivateKey: nil, localEphemeralPrivateKey: [UInt8](hex: vector.initiator_ephemeral_private),
            remoteStaticPublicKey: nil, presharedKeys: [psk])
        let server = try HandshakeState(
            protocolName: vector.protocol_name, initiator: false, prologue: KeyGateWire.ftpDataPrologue,
            localStaticPrivateKey: nil, localEphemeralPrivateKey: [UInt8](hex: vector.responder_ephemeral_private),
            remoteStaticPublicKey: nil, presharedKeys: [psk])
        for (index, message) in vector.messages.enumerated() {
            let (writer, reader) = message.sender == "client" ? (client, server) : (server, client)
            let written = try writer.writeMessage(payload: [UInt8](hex: message.payload))
            #expect(written == [UInt8](hex: message.message), "handshake message \(index + 1)")
            #expect(try reader.readMessage(written) == [UInt8](hex: message.payload))
        }
        #expect(client.handshakeHash == [UInt8](hex: vector.handshake_hash))
        #expect(server.handshakeHash == client.handshakeHash)

        var clientCiphers = try client.split()
        var serverCiphers = try server.split()
        for message in vector.transport {
            let plaintext = [UInt8](hex: message.plaintext)
            var frame: [UInt8]
            if message.fromClient {
                #expect(clientCiphers.initiatorToResponder.nonce == message.nonce)
                frame = try SecureChannel.seal(plaintext, with: &clientCiphers.initiatorToResponder)
            } else {
                #expect(serverCiphers.responderToInitiator.nonce == message.nonce)
                frame = try SecureChannel.seal(plaintext, with: &serverCiphers.responderToInitiator)
            }
            #expect(frame == [UInt8](hex: message.frame), "\(message.note)")
            var payload = Array(frame.dropFirst(2))
            if message.fromClient {
                try SecureChannel.open(&payload, with: &serverCiphers.initiatorToResponder)
            } else {
                try SecureChannel.open(&payload, with: &clientCiphers.responderToInitiator)
            }
            #expect(payload == plaintext, "\(message.note)")
        }
    }

    /// KeyGate's data-connection handshake as the server (its ephemeral key
    /// is its own) completes with the vector's client message 1, and its
    /// data then end-of-data decrypt on the vector client's side.
    @Test(arguments: file.data)
    func dataChannelAcceptsTheVectorClient(_ vector: DataVector) async throws {
        let psk = [UInt8](hex: vector.psk)
        let client = try HandshakeState(
            protocolName: vector.protocol_name, initiator: true, prologue: [UInt8](hex: vector.prologue),
            localStaticPrivateKey: nil, localEphemeralPrivateKey: [UInt8](hex: vector.initiator_ephemeral_private),
            remoteStaticPublicKey: nil, presharedKeys: [psk])
        let (clientEnd, serverEnd) = InMemoryByteStream.pair()
        async let serverChannel = SecureChannel.dataConnectionHandshake(
            over: serverEnd, initiator: false, diffieHellman: Curve25519(),
            presharedKey: DataConnectionKey.presharedKey(dataKey: [UInt8](hex: vector.data_key), passiveNumber: vector.passive_number),
            deadline: .now + Self.deadline)
        let first = try #require(vector.messages.first)
        let written = try client.writeMessage(payload: [])
        #expect(written == [UInt8](hex: first.message))
        try await clientEnd.write([UInt8](hex: first.frame))
        var clientChannel = FramedStream(stream: clientEnd)
        let reply = try #require(try await clientChannel.readFrame(deadline: .now + Self.deadline))
        #expect(try client.readMessage(reply) == [])
        let server = try await serverChannel
        var (_, fromServer) = try client.split()
        let download = vector.transport.filter { !$0.fromClient }.map { [UInt8](hex: $0.plaintext) }
        for bytes in download {
            if bytes.isEmpty {
                try await server.sendEndOfData()
            } else {
                try await server.sendData(bytes)
            }
            var payload = try #require(try await clientChannel.readFrame(deadline: .now + Self.deadline))
            try SecureChannel.open(&payload, with: &fromServer)
            #expect(payload == bytes)
        }
    }

    /// Section 6: psk = HMAC-SHA256(data_key, "ftp-data" || 8-byte BE passive number).
    @Test(arguments: file.psk)
    func presharedKeyOfAPassiveNumber(_ vector: PresharedKeyVector) {
        #expect(DataConnectionKey.presharedKey(dataKey: [UInt8](hex: vector.data_key), passiveNumber: vector.passive_number)
            == [UInt8](hex: vector.psk))
    }
}
