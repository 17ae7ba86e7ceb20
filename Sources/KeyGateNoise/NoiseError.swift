import KeyGateCrypto

/// What went wrong in a Noise handshake or transport.
public enum NoiseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The protocol name is not of the form Noise_PATTERN_DH_CIPHER_HASH or
    /// names something this implementation does not support.
    case unsupportedProtocol(name: String, reason: String)
    /// A key the pattern needs was not supplied, or one it cannot use was.
    case missingKey(String)
    /// A key has the wrong length for the DH function.
    case invalidKey(String)
    /// The pattern needs a pre-shared key count different from what was given,
    /// or a psk is not 32 bytes.
    case invalidPresharedKey(String)
    /// A method was called when the handshake was not in a state to accept
    /// it (writing out of turn, reading after completion, splitting early).
    case outOfOrder(String)
    /// A handshake message is too short for the tokens it must carry.
    case messageTooShort(expected: Int, actual: Int)
    /// A message exceeds the 65535-byte Noise limit.
    case messageTooLong(Int)
    /// Decryption failed: the message was altered, replayed or reordered,
    /// or the peer holds different keys.
    case decryptionFailed
    /// The Diffie-Hellman operation rejected the peer's public key (low
    /// order or out of range).
    case invalidPeerKey(CryptoError)
    /// The 64-bit nonce is exhausted: the session must be re-established.
    case nonceExhausted

    public var description: String {
        switch self {
        case let .unsupportedProtocol(name, reason): return "unsupported Noise protocol '\(name)': \(reason)"
        case let .missingKey(what): return "missing key: \(what)"
        case let .invalidKey(what): return "invalid key: \(what)"
        case let .invalidPresharedKey(what): return "invalid pre-shared key: \(what)"
        case let .outOfOrder(what): return "handshake method called out of order: \(what)"
        case let .messageTooShort(expected, actual): return "Noise message too short: need at least \(expected) bytes, got \(actual)"
        case let .messageTooLong(count): return "Noise message of \(count) bytes exceeds 65535"
        case .decryptionFailed: return "decryption failed: the message was altered, replayed or reordered, or the keys differ"
        case let .invalidPeerKey(error): return "peer's public key rejected: \(error)"
        case .nonceExhausted: return "nonce exhausted: the session has sent 2^64-1 messages and must be re-established"
        }
    }
}
