import KeyGateNoise

/// What one handshake message did to the Noise state of the side that
/// traced it, token by token, in the words of the Noise specification
/// (rev 34, section 5.3), with every key named by whose it is as that side
/// sees it: "our (server's) ephemeral key", "the client's static key".
///
/// Used by `--trace-handshake=explain` (``lines(peer:)``) and
/// `--trace-file` (``records(session:peer:)``). Only public values appear.
public struct HandshakeExplanation: Sendable {
    /// One token of the message.
    public struct Step: Sendable {
        public let token: HandshakePattern.Token
        /// The spec's operation, from this side: `MixKey(DH(e, re))`.
        public let operation: String
        /// What it means, in one line.
        public let meaning: String
        /// Bytes the token occupies in the message (0 for DH and psk tokens).
        public let byteCount: Int
        /// The public key an `e` or `s` token carried.
        public let publicKey: [UInt8]?
        /// Whose key an `e` or `s` token carried.
        public let keyOwner: HandshakeRole?
        /// Whether the token's bytes were encrypted (an `s` after a DH).
        public let encrypted: Bool
    }

    /// The full protocol name, `Noise_XX_25519_ChaChaPoly_SHA256`.
    public let protocolName: String
    /// The pattern with its modifiers: `XX`, `IK`, `NNpsk0`.
    public let pattern: String
    /// The side that traced the message.
    public let side: HandshakeRole
    /// The side that wrote it.
    public let sender: HandshakeRole
    /// 1, 2, 3.
    public let number: Int
    /// The whole message: the frame's payload, without its 2-byte length.
    public let byteCount: Int
    /// The handshake payload as sent (with its 16-byte tag once encrypted).
    public let payloadByteCount: Int
    /// Whether the payload was encrypted (a cipher key existed).
    public let payloadEncrypted: Bool
    /// Noise 7.7's grades of the payload; nil for patterns it does not grade.
    public let grades: PayloadGrades?
    /// What KeyGate puts in this payload (PROTOCOL.md section 3.3 and 6).
    public let payloadContents: String
    public let steps: [Step]
    /// The handshake hash h after the message.
    public let handshakeHash: [UInt8]

    /// Explains `event`.
    /// - Throws: `NoiseError` when its protocol name does not parse (an
    ///   event from this process's own handshake always does).
    public init(_ event: HandshakeTraceEvent) throws(NoiseError) {
        let name = try NoiseProtocolName(event.protocolName)
        let side: HandshakeRole = event.isInitiator ? .initiator : .responder
        let index = event.message.index
        let sender = HandshakeRole.writer(ofMessage: index)
        protocolName = event.protocolName
        pattern = name.pattern.name
        self.side = side
        self.sender = sender
        number = index + 1
        byteCount = event.message.byteCount
        handshakeHash = event.message.handshakeHash
        grades = name.modifiers.isEmpty ? PayloadGrades.handshake(pattern: name.patternName, message: index) : nil
        payloadContents = Self.payloadContents(pattern: pattern, message: index)
        var narrator = Narrator(side: side, sender: sender, written: event.message.written,
                                hasKey: Self.hasKey(before: index, in: name.pattern),
                                usesPresharedKeys: name.pattern.presharedKeyCount > 0)
        var steps: [Step] = []
        var payload = (count: 0, encrypted: false)
        for item in event.message.items {
            if let token = item.token {
                steps.append(narrator.step(token, item: item))
            } else {
                payload = (item.byteCount, narrator.hasKey)
            }
        }
        self.steps = steps
        payloadByteCount = payload.count
        payloadEncrypted = payload.encrypted
    }

    /// Whether a cipher key exists before message `index`: once any DH or
    /// psk token has run (or, with psk, any `e`).
    static func hasKey(before index: Int, in pattern: HandshakePattern) -> Bool {
        let psk = pattern.presharedKeyCount > 0
        return pattern.messages.prefix(index).joined().contains { token in
            token != .s && (token != .e || psk)
        }
    }

    /// PROTOCOL.md section 3.3 (XX, IK) and section 6 (NNpsk0).
    static func payloadContents(pattern: String, message index: Int) -> String {
        switch (pattern, index) {
        case ("XX", 2): return "the service name (chat or ftp), UTF-8"
        case ("IK", 0): return "the client's clock (8 bytes, big-endian microseconds since 1970) and the service name"
        case ("XX", _), ("IK", _): return "nothing (the payload is empty)"
        case ("NNpsk0", _): return "nothing (a data connection's handshake payloads are empty)"
        default: return "nothing KeyGate defines"
        }
    }

    /// The explanation as text lines: a heading, the message's grades and
    /// payload, one line per token, the handshake hash.
    public func lines(peer: String) -> [String] {
        let direction = sender == side ? "sent" : "received"
        let arrow = sender == .initiator ? "client -> server" : "server -> client"
        var lines = ["handshake \(peer) \(protocolName): \(side.party) \(direction) message \(number) of \(pattern) "
            + "(\(arrow), \(byteCount) bytes)"]
        for step in steps {
            let size = step.byteCount > 0 ? " [\(step.byteCount) bytes]" : ""
            lines.append("  \(step.token.rawValue.padding(4)) \(step.operation): \(step.meaning)\(size)")
        }
        let sealed = payloadEncrypted ? "\(payloadByteCount) bytes, encrypted with a 16-byte tag" : "\(payloadByteCount) bytes, in clear"
        lines.append("  payload \(sender == side ? "EncryptAndHash" : "DecryptAndHash")(payload) [\(sealed)]: KeyGate sends \(payloadContents)")
        if let grades {
            lines.append("  Noise 7.7 \(grades.sourceText)")
            lines.append("  Noise 7.7 \(grades.destinationText)")
        } else {
            lines.append("  Noise 7.7 grades no \(pattern) payload (the spec's table has no psk patterns)")
        }
        lines.append("  h = \(HexText.encode(handshakeHash))")
        return lines
    }
}

extension String {
    /// The string padded with spaces to `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
