/// A public key: its algorithm and raw bytes (32 for X25519, the group's
/// size for FFDHE).
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// The algorithm the key is for.
    public let algorithm: KeyAlgorithm
    /// The raw key: X25519 u-coordinate, or g^x mod p big-endian for FFDHE.
    public let bytes: [UInt8]

    /// A key from its raw bytes.
    /// - Throws: `KeyFileError.invalidKey` if `bytes` is not
    ///   `algorithm.publicKeyByteCount` long.
    public init(algorithm: KeyAlgorithm, bytes: [UInt8]) throws(KeyFileError) {
        do {
            try self.init(validating: algorithm, bytes: bytes)
        } catch {
            throw .invalidKey(error)
        }
    }

    init(validating algorithm: KeyAlgorithm, bytes: [UInt8]) throws(KeyLineProblem) {
        guard bytes.count == algorithm.publicKeyByteCount else {
            throw .wrongKeySize(algorithm: algorithm, isPrivate: false,
                                expected: algorithm.publicKeyByteCount, actual: bytes.count)
        }
        self.algorithm = algorithm
        self.bytes = bytes
    }

    /// `SHA256:` and the unpadded base64 of the key's SHA-256 (see `Fingerprint`).
    public var fingerprint: String { Fingerprint.of(bytes) }

    /// The key-file line `<algorithm> <padded base64> [comment]`, without a
    /// newline. Control characters in `comment` become spaces, so the line
    /// stays one line; an empty comment is left out.
    public func line(comment: String? = nil) -> String {
        KeyLine(algorithm: algorithm, keyBytes: bytes, comment: comment).text
    }

    /// The fingerprint and algorithm: `SHA256:... (x25519)`.
    public var description: String { "\(fingerprint) (\(algorithm))" }
}
