import KeyGateCrypto
import KeyGateNoise

/// A private key with the public key derived from it.
///
/// Its `description` shows only the public fingerprint, so a private key that
/// ends up in a log message does not leak. The secret is kept in
/// `SecretBytes`, wiped once the last copy of the key is gone.
public struct PrivateKey: Sendable, CustomStringConvertible {
    /// The algorithm the key is for.
    public let algorithm: KeyAlgorithm
    /// The raw secret: an X25519 scalar, or a big-endian FFDHE exponent.
    public let secret: SecretBytes
    /// The matching public key.
    public let publicKey: PublicKey

    /// The key as Noise uses it: the secret with its public key, computed
    /// once here, never again per handshake.
    public var keyPair: StaticKeyPair { StaticKeyPair(privateKey: secret, publicKey: publicKey.bytes) }

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
        secret = SecretBytes(bytes)
        self.publicKey = try PublicKey(validating: algorithm, bytes: publicBytes)
    }

    /// A fresh key from `random` (the kernel's CSPRNG unless a test injects one).
    public static func generate(algorithm: KeyAlgorithm, using random: some RandomSource = SystemRandomSource()) -> PrivateKey {
        var bytes = algorithm.diffieHellman.generatePrivateKey(using: random)
        defer { SecretBytes.wipe(&bytes) }
        if algorithm != .x25519 {
            // A static FFDHE exponent is made even. With a safe prime p = 2q+1
            // a hostile peer can send a value of order 2q (minus a subgroup
            // element); y^x then depends on the parity of x, so one handshake
            // tells which of two keys the server used: one bit of a long-term
            // key. For an even x, y^x is the same for y and -y and reveals
            // nothing. Fixing the parity costs nothing; the other cure, a
            // subgroup check of every peer value (y^q mod p, a 2047-bit
            // exponent), would cost about eight times a whole DH, and a
            // Jacobi symbol is variable-time in a value that may be a
            // client's encrypted identity. One bit of a 256-bit exponent is
            // given up. (Ephemeral keys are used once: their parity is moot.)
            while true {
                bytes[bytes.count - 1] &= 0xFE
                if !bytes.allSatisfy({ $0 == 0 }) { break }
                bytes = algorithm.diffieHellman.generatePrivateKey(using: random)
            }
        }
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
        secret.withTemporaryArray { KeyLine(algorithm: algorithm, keyBytes: $0, comment: comment).text }
    }

    /// Whether this is an FFDHE key with an odd exponent, made before
    /// static exponents were made even: a hostile peer can learn that one
    /// bit of it (see `generate`). Such a key still works; replace it
    /// (`keygate keygen --force`) when its fingerprint can change.
    public var hasOddFFDHEExponent: Bool {
        algorithm != .x25519 && secret.withUnsafeBytes { $0[$0.count - 1] & 1 == 1 }
    }

    /// `private key for SHA256:... (x25519)`: never the secret.
    public var description: String { "private key for \(publicKey)" }
}
