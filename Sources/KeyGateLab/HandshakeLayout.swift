import KeyGateNoise

/// Where each token's bytes sit in the messages of a Noise handshake, as a
/// passive observer can work it out from the protocol name alone (Noise
/// sections 5.3 and 7): an `e` is DHLEN bytes in clear; an `s` and the
/// payload are encrypted, with a 16-byte tag, once the first DH token (or,
/// in a psk handshake, the `psk` token) has given the handshake a key.
public struct HandshakeLayout: Sendable {
    /// One piece of a handshake message.
    public struct Part: Sendable, Equatable {
        /// `e`, `s`, or nil for the payload.
        public let token: HandshakePattern.Token?
        public let bytes: [UInt8]
        /// Whether the bytes are ciphertext (with a 16-byte tag) rather than clear.
        public let encrypted: Bool
    }

    public let protocolName: NoiseProtocolName

    public init(protocolName: NoiseProtocolName) {
        self.protocolName = protocolName
    }

    /// DHLEN of the suite.
    public var publicKeyByteCount: Int { protocolName.diffieHellman.publicKeyByteCount }

    /// The tokens of message `index` (from 0), or nil past the last one.
    public func tokens(ofMessage index: Int) -> [HandshakePattern.Token]? {
        let messages = protocolName.pattern.messages
        return index < messages.count ? messages[index] : nil
    }

    /// Whether the handshake has a key when message `index` starts:
    /// after any DH token of an earlier message, or a psk token.
    private func hasKey(beforeMessage index: Int) -> Bool {
        protocolName.pattern.messages.prefix(index).joined().contains { givesKey($0) }
    }

    /// Whether `token` leaves the handshake with a cipher key: a DH or
    /// psk token, and in a psk handshake also `e` (Noise 9.2: MixKey(e)).
    private func givesKey(_ token: HandshakePattern.Token) -> Bool {
        switch token {
        case .s: return false
        case .e: return protocolName.pattern.presharedKeyCount > 0
        default: return true
        }
    }

    /// Message `index` split into its parts, or nil when the bytes are too
    /// few for its tokens (not this suite's message).
    public func parts(ofMessage index: Int, _ message: [UInt8]) -> [Part]? {
        guard let tokens = tokens(ofMessage: index) else { return nil }
        var keyed = hasKey(beforeMessage: index)
        var parts: [Part] = []
        var offset = 0
        for token in tokens {
            switch token {
            case .e, .s:
                let length = publicKeyByteCount + (token == .s && keyed ? 16 : 0)
                guard message.count - offset >= length else { return nil }
                parts.append(Part(token: token, bytes: Array(message[offset..<(offset + length)]), encrypted: token == .s && keyed))
                offset += length
                if givesKey(token) { keyed = true }
            default:
                if givesKey(token) { keyed = true }
            }
        }
        let payload = Array(message[offset...])
        if keyed && payload.count < 16 { return nil }
        parts.append(Part(token: nil, bytes: payload, encrypted: keyed))
        return parts
    }

    /// The size of message `index` with a plaintext payload of `payloadByteCount` bytes.
    public func size(ofMessage index: Int, payloadByteCount: Int) -> Int {
        guard let tokens = tokens(ofMessage: index) else { return 0 }
        var keyed = hasKey(beforeMessage: index)
        var size = 0
        for token in tokens {
            switch token {
            case .e: size += publicKeyByteCount
            case .s: size += publicKeyByteCount + (keyed ? 16 : 0)
            default: break
            }
            if givesKey(token) { keyed = true }
        }
        return size + payloadByteCount + (keyed ? 16 : 0)
    }
}
