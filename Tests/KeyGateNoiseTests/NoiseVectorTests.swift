import KeyGateFixtures
import Foundation
import KeyGateNoise
import Testing

/// The cacophony test vectors for Noise_*_25519_ChaChaPoly_SHA256: every
/// handshake pattern, one-way, interactive, deferred and with psk
/// modifiers, replayed byte for byte in both roles.
struct NoiseVectorTests {
    struct Vector: Decodable, CustomTestStringConvertible, Sendable {
        struct Message: Decodable, Sendable {
            let payload: String
            let ciphertext: String
        }

        let protocol_name: String
        let init_prologue: String
        let init_psks: [String]?
        let init_static: String?
        let init_ephemeral: String
        let init_remote_static: String?
        let resp_prologue: String
        let resp_psks: [String]?
        let resp_static: String?
        let resp_ephemeral: String?
        let resp_remote_static: String?
        let handshake_hash: String
        let messages: [Message]

        var testDescription: String { protocol_name }
    }

    struct VectorFile: Decodable {
        let vectors: [Vector]
    }

    static let vectors: [Vector] = {
        let url = Bundle.module.url(forResource: "noise-25519-chachapoly-sha256", withExtension: "json")!
        let data = try! Data(contentsOf: url)
        return try! JSONDecoder().decode(VectorFile.self, from: data).vectors
    }()

    @Test func theFileHoldsEveryPatternFamily() {
        #expect(Self.vectors.count == 59)
    }

    @Test(arguments: vectors)
    func replaysVector(_ vector: Vector) throws {
        let initiator = try HandshakeState(
            protocolName: vector.protocol_name, initiator: true, prologue: [UInt8](hex: vector.init_prologue),
            localStaticPrivateKey: vector.init_static.map { [UInt8](hex: $0) },
            localEphemeralPrivateKey: [UInt8](hex: vector.init_ephemeral),
            remoteStaticPublicKey: vector.init_remote_static.map { [UInt8](hex: $0) },
            presharedKeys: (vector.init_psks ?? []).map { [UInt8](hex: $0) })
        let responder = try HandshakeState(
            protocolName: vector.protocol_name, initiator: false, prologue: [UInt8](hex: vector.resp_prologue),
            localStaticPrivateKey: vector.resp_static.map { [UInt8](hex: $0) },
            localEphemeralPrivateKey: vector.resp_ephemeral.map { [UInt8](hex: $0) },
            remoteStaticPublicKey: vector.resp_remote_static.map { [UInt8](hex: $0) },
            presharedKeys: (vector.resp_psks ?? []).map { [UInt8](hex: $0) })

        var transport: (initiatorToResponder: CipherState, responderToInitiator: CipherState)?
        var responderTransport: (initiatorToResponder: CipherState, responderToInitiator: CipherState)?
        let oneWay = initiator.protocolName.pattern.isOneWay
        for (index, message) in vector.messages.enumerated() {
            let payload = [UInt8](hex: message.payload)
            let expected = [UInt8](hex: message.ciphertext)
            let initiatorSends = oneWay || index % 2 == 0
            if !initiator.isComplete {
                let (sender, receiver) = initiatorSends ? (initiator, responder) : (responder, initiator)
                let written = try sender.writeMessage(payload: payload)
                #expect(written == expected, "handshake message \(index)")
                #expect(try receiver.readMessage(written) == payload, "handshake message \(index)")
                continue
            }
            if transport == nil {
                #expect(responder.isComplete)
                #expect(initiator.handshakeHash == [UInt8](hex: vector.handshake_hash))
                #expect(responder.handshakeHash == initiator.handshakeHash)
                transport = try initiator.split()
                responderTransport = try responder.split()
            }
            if initiatorSends {
                let written = try transport!.initiatorToResponder.encrypt(payload, associatedData: [])
                #expect(written == expected, "transport message \(index)")
                #expect(try responderTransport!.initiatorToResponder.decrypt(written, associatedData: []) == payload)
            } else {
                let written = try responderTransport!.responderToInitiator.encrypt(payload, associatedData: [])
                #expect(written == expected, "transport message \(index)")
                #expect(try transport!.responderToInitiator.decrypt(written, associatedData: []) == payload)
            }
        }
        #expect(transport != nil, "the vector's handshake completed and transport messages followed")
    }
}
