import KeyGateCrypto

/// A Diffie-Hellman key pair with its public key computed once. For the
/// long-term (static) key of a server or a returning client this saves a
/// scalar multiplication or a modular exponentiation per handshake just to
/// learn its own public key; a handshake's ephemeral pairs use the same
/// type (`HandshakeState.KeyPair`). The private key is held in
/// `SecretBytes`, wiped when the last copy of the pair is gone.
public struct StaticKeyPair: Sendable {
    public let privateKey: SecretBytes
    public let publicKey: [UInt8]

    /// Derives the public key of `privateKey` with `dh`.
    /// - Throws: `NoiseError.invalidKey` for a malformed private key.
    public init(privateKey: SecretBytes, dh: any DiffieHellman) throws(NoiseError) {
        self.privateKey = privateKey
        publicKey = try privateKey.withTemporaryArray { (bytes) throws(NoiseError) in try dh.publicKey(privateKey: bytes) }
    }

    /// Derives the public key of `privateKey` (copied into `SecretBytes`).
    public init(privateKey: [UInt8], dh: any DiffieHellman) throws(NoiseError) {
        try self.init(privateKey: SecretBytes(privateKey), dh: dh)
    }

    /// A pair whose public key is already known: not checked here, so it
    /// must have been derived from `privateKey` (as `PrivateKey` does once,
    /// when the key file is read).
    public init(privateKey: SecretBytes, publicKey: [UInt8]) {
        self.privateKey = privateKey
        self.publicKey = publicKey
    }
}
