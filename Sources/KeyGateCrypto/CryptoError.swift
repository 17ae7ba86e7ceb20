/// What went wrong in a cryptographic primitive.
///
/// Every case names the offending input, so the message can be acted upon.
/// Nothing that arrives from the network can make a primitive trap: wrong
/// sizes, bad tags and invalid public values all end up here.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An input had the wrong length; `parameter` names it (`"key"`, `"nonce"`, ...).
    case invalidLength(parameter: String, expected: Int, actual: Int)
    /// A sealed message failed authentication: it was altered, truncated,
    /// or sealed under another key, nonce or associated data.
    case authenticationFailed
    /// A Diffie-Hellman public value was outside the valid range.
    case invalidPublicKey(reason: String)
    /// A Diffie-Hellman private value is unusable (for example zero).
    case invalidPrivateKey(reason: String)
    /// The Diffie-Hellman result is degenerate (all zero for X25519, 1 for
    /// FFDHE): the peer sent a low-order or otherwise malicious value.
    case degenerateSharedSecret
    /// A message is longer than the cipher can encrypt under one nonce.
    case messageTooLong(byteCount: Int, maximum: Int)
    /// HKDF was asked for more output than RFC 5869 allows (255 * 32 bytes),
    /// or for a negative amount.
    case invalidOutputLength(requested: Int, maximum: Int)

    public var description: String {
        switch self {
        case let .invalidLength(parameter, expected, actual):
            return "\(parameter) must be \(expected) bytes, got \(actual)"
        case .authenticationFailed:
            return "message authentication failed: the data was altered or the key is wrong"
        case let .invalidPublicKey(reason):
            return "invalid Diffie-Hellman public key: \(reason)"
        case let .invalidPrivateKey(reason):
            return "invalid Diffie-Hellman private key: \(reason)"
        case .degenerateSharedSecret:
            return "Diffie-Hellman result is degenerate: the peer's public key is invalid or malicious"
        case let .messageTooLong(byteCount, maximum):
            return "message of \(byteCount) bytes exceeds the cipher's limit of \(maximum) bytes per nonce"
        case let .invalidOutputLength(requested, maximum):
            return "HKDF output length \(requested) is outside 0...\(maximum)"
        }
    }

    @inlinable
    static func requireLength(_ parameter: String, _ count: Int, _ expected: Int) throws(CryptoError) {
        guard count == expected else {
            throw .invalidLength(parameter: parameter, expected: expected, actual: count)
        }
    }
}
