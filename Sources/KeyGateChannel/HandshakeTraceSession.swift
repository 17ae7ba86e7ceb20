/// One session's lines in a trace file: its handshake messages and tokens,
/// its grant (or denial) and its move to the data port, all under one id,
/// as one side saw them.
public struct HandshakeTraceSession: Sendable {
    /// Random, 16 hex digits: it only tells sessions of one file apart.
    public let id: String
    public let side: HandshakeRole
    /// The peer's address.
    public let peer: String
    public let file: HandshakeTraceFile

    public init(file: HandshakeTraceFile, side: HandshakeRole, peer: String, id: String = HandshakeTraceSession.newID()) {
        self.file = file
        self.side = side
        self.peer = peer
        self.id = id
    }

    /// A new random session id.
    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Appends the message of `event` and its tokens.
    public func record(_ event: HandshakeTraceEvent) {
        guard let explanation = try? HandshakeExplanation(event) else { return }
        file.append(explanation.records(session: id, peer: peer))
    }

    /// Appends the grant: the server's first transport message, naming the
    /// data port the session moves to. `size` is its frame's payload.
    public func recordGrant(protocolName: String, port: UInt16, service: String, size: Int) {
        file.append([transportRecord(
            "grant", protocolName: protocolName, fromInitiator: false, size: size,
            extra: [("port", .integer(Int(port))), ("service", .string(service))])])
    }

    /// Appends a denial: the server's first transport message refused the session.
    public func recordDenial(protocolName: String, reason: String, size: Int) {
        file.append([transportRecord(
            "denial", protocolName: protocolName, fromInitiator: false, size: size, extra: [("reason", .string(reason))])])
    }

    /// Appends the move to the data port: the client's RESUME, its first
    /// transport message, on a new connection to `port`.
    public func recordDataPortMove(protocolName: String, port: UInt16, service: String, size: Int) {
        file.append([transportRecord(
            "data_port", protocolName: protocolName, fromInitiator: true, size: size,
            extra: [("port", .integer(Int(port))), ("service", .string(service))])])
    }

    private func transportRecord(
        _ event: String, protocolName: String, fromInitiator: Bool, size: Int, extra: [(String, JSONValue)]
    ) -> JSONValue {
        let pattern = Self.patternName(protocolName)
        let grades = PayloadGrades.firstTransport(pattern: pattern, fromInitiator: fromInitiator)
        let operation = event == "data_port" ? "EncryptWithAd(RESUME)" : "EncryptWithAd(reply)"
        return .object([
            ("session", .string(id)),
            ("event", .string(event)),
            ("side", .string(side.rawValue)),
            ("peer", .string(peer)),
            ("protocol", .string(protocolName)),
            ("pattern", .string(pattern)),
            ("message", .null),
            ("sender", .string(fromInitiator ? HandshakeRole.initiator.rawValue : HandshakeRole.responder.rawValue)),
            ("token", .null),
            ("operation", .string(operation)),
            ("payload_size", .integer(size)),
            ("grades", grades.map(HandshakeExplanation.json) ?? .null),
        ] + extra)
    }

    /// `XX` of `Noise_XX_25519_ChaChaPoly_SHA256`.
    static func patternName(_ protocolName: String) -> String {
        let parts = protocolName.split(separator: "_")
        return parts.count > 1 ? String(parts[1]) : protocolName
    }
}
