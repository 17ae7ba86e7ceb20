import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise

/// A whole handshake run in memory, with every message's trace as each
/// side saw it.
struct TracedHandshake {
    let protocolName: String
    let initiatorKeys: StaticKeyPair
    let responderKeys: StaticKeyPair
    /// Message by message, as the initiator and the responder traced it.
    let initiatorEvents: [HandshakeTraceEvent]
    let responderEvents: [HandshakeTraceEvent]

    /// Runs `Noise_<pattern>_25519_ChaChaPoly_SHA256` with fresh keys; the
    /// payloads are those KeyGate sends (section 3.3): a service name with
    /// the message that carries the client's static key.
    init(_ pattern: String) throws {
        protocolName = "Noise_\(pattern)_25519_ChaChaPoly_SHA256"
        let name = try NoiseProtocolName(protocolName)
        let dh = Curve25519()
        initiatorKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        responderKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let psk = name.pattern.presharedKeyCount > 0
        let presharedKeys = psk ? [SecureRandom.bytes(count: 32)] : []
        let initiator = try HandshakeState(
            protocol: name, initiator: true, prologue: [], localStaticKeyPair: psk ? nil : initiatorKeys,
            remoteStaticPublicKey: name.pattern.responderPreMessage.contains(.s) ? responderKeys.publicKey : nil,
            presharedKeys: presharedKeys)
        let responder = try HandshakeState(
            protocol: name, initiator: false, prologue: [], localStaticKeyPair: psk ? nil : responderKeys,
            remoteStaticPublicKey: nil, presharedKeys: presharedKeys)
        for (index, tokens) in name.pattern.messages.enumerated() {
            let (writer, reader) = index % 2 == 0 ? (initiator, responder) : (responder, initiator)
            let payload: [UInt8] = tokens.contains(.s) && index % 2 == 0 ? Array("chat".utf8) : []
            _ = try reader.readMessage(try writer.writeMessage(payload: payload))
        }
        initiatorEvents = initiator.transcript.map { HandshakeTraceEvent(protocolName: name.description, isInitiator: true, message: $0) }
        responderEvents = responder.transcript.map { HandshakeTraceEvent(protocolName: name.description, isInitiator: false, message: $0) }
    }

    /// Each message explained, as `side` saw it.
    func explanations(_ side: HandshakeRole) throws -> [HandshakeExplanation] {
        try (side == .initiator ? initiatorEvents : responderEvents).map { try HandshakeExplanation($0) }
    }
}
