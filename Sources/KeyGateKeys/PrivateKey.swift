import KeyGateCrypto
import KeyGateNoise

/// A private key with the public key derived from it.
///
/// Its `description` shows only the public fingerprint, so a private key that
/// ends up in a log message does not leak.
public struct PrivateKey: Sendable, CustomStringConvertible {
    /// The algorithm the key is for.
    public let algorithm: KeyAlgorithm
    /// The raw secret: an X25519 scalar, or a big-endian FFDHE exponent.
    public let bytes: [UInt8]
    /// The matching public key.
    public let publicKey: PublicKey

    /// A key from its raw bytes; derives the public key.
    /// - Throws: `KeyFileError.invalidKey` for a wrong size or an unusable
    ///   value (an FFDHE exponent of zero).
    public init(algorithm: KeyAlgorithm, bytes: [UInt8]) throws(KeyFileError) {
        do {
            try self.init(validating: algorithm, bytes: bytes)
        } catch {
            throw .invalidKey(error)
        }
    }

    init(validating algorithm: KeyAlgorithm, bytes: [UInt8]) throws(KeyLineProblem) {
        guard bytes.count == algorithm.privateKeyByteCount else {
            throw .wrongKeySize(algorithm: algorithm, isPrivate: true,
                                expected: algorithm.privateKeyByteCount, actual: bytes.count)
        }
        let publicBytes: [UInt8]
        do {
            publicBytes = try algorithm.diffieHellman.publicKey(privateKey: bytes)
        } catch {
            throw .invalidPrivateKey(algorithm: algorithm, reason: "\(error)")
        }
        self.algorithm = algorithm
        self.bytes = bytes
        self.publicKey = try PublicKey(validating: algorithm, bytes: publicBytes)
    }

    /// A fresh key from `random` (the kernel's CSPRNG unless a test injects one).
    public static func generate(algorithm: KeyAlgorithm, using random: some RandomSource = SystemRandomSource()) -> PrivateKey {
        let bytes = algorithm.diffieHellman.generatePrivateKey(using: random)
        do {
            return try PrivateKey(validating: algorithm, bytes: bytes)
        } catch {
            // generatePrivateKey returns the right size and never a zero exponent.
            preconditionFailure("generated \(algorithm) key rejected: \(error)")
        }
    }

    /// The key-file line `<algorithm> <padded base64> [comment]` of the
    /// private key, without a newline (see `PublicKey.line(comment:)`).
    public func line(comment: String? = nil) -> String {
        KeyLine(algorithm: algorithm, keyBytes: bytes, comment: comment).text
    }

    /// `private key for SHA256:... (x25519)`: never the secret.
    public var description: String { "private key for \(publicKey)" }
}
