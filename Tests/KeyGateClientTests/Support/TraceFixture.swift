import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise

/// Trace files as `--trace-file` writes them, made from a handshake run
/// in memory: the messages and tokens, then the grant and RESUME.
enum TraceFixture {
    /// The lines of one session of `pattern` as `side` traced it.
    static func records(
        _ pattern: String, side: HandshakeRole, session: String = "0123456789abcdef", peer: String = "127.0.0.1:7700",
        service: String = "chat", port: Int = 7742
    ) throws -> [JSONValue] {
        let protocolName = "Noise_\(pattern)_25519_ChaChaPoly_SHA256"
        let name = try NoiseProtocolName(protocolName)
        let dh = Curve25519()
        let initiatorKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let responderKeys = try StaticKeyPair(privateKey: dh.generatePrivateKey(using: SystemRandomSource()), dh: dh)
        let initiator = try HandshakeState(
            protocol: name, initiator: true, prologue: [], localStaticKeyPair: initiatorKeys,
            remoteStaticPublicKey: pattern == "IK" ? responderKeys.publicKey : nil)
        let responder = try HandshakeState(
            protocol: name, initiator: false, prologue: [], localStaticKeyPair: responderKeys, remoteStaticPublicKey: nil)
        for (index, tokens) in name.pattern.messages.enumerated() {
            let (writer, reader) = index % 2 == 0 ? (initiator, responder) : (responder, initiator)
            _ = try reader.readMessage(try writer.writeMessage(payload: tokens.contains(.s) && index % 2 == 0 ? Array(service.utf8) : []))
        }
        let traced = side == .initiator ? initiator : responder
        var records: [JSONValue] = []
        for message in traced.transcript {
            let event = HandshakeTraceEvent(protocolName: protocolName, isInitiator: side == .initiator, message: message)
            records += try HandshakeExplanation(event).records(session: session, peer: peer)
        }
        func transport(_ event: String, sender: HandshakeRole, size: Int) -> JSONValue {
            .object([
                ("session", .string(session)), ("event", .string(event)), ("side", .string(side.rawValue)),
                ("peer", .string(peer)), ("protocol", .string(protocolName)), ("pattern", .string(pattern)),
                ("message", .null), ("sender", .string(sender.rawValue)), ("token", .null),
                ("operation", .string("EncryptWithAd")), ("payload_size", .integer(size)),
                ("grades", PayloadGrades.firstTransport(pattern: pattern, fromInitiator: sender == .initiator)
                    .map(HandshakeExplanation.json) ?? .null),
                ("port", .integer(port)), ("service", .string(service)),
            ])
        }
        records.append(transport("grant", sender: .responder, size: 55))
        records.append(transport("data_port", sender: .initiator, size: 22))
        return records
    }

    /// The records as the text of a file.
    static func text(_ records: [JSONValue]) -> String {
        records.map(\.description).joined(separator: "\n") + "\n"
    }

    /// The one session of `records`, as `keygate trace` reads it.
    static func session(_ records: [JSONValue]) throws -> TraceFileContents.Session {
        try TraceFileContents.parse(Array(text(records).utf8), path: "fixture.jsonl").sessions[0]
    }
}
