/// A long-term key pair with its public key computed once, so that a server
/// or a returning client does not repeat a scalar multiplication per
/// handshake just to learn its own public key.
public struct StaticKeyPair: Sendable {
    public let privateKey: [UInt8]
    public let publicKey: [UInt8]

    /// Derives the public key of `privateKey` with `dh`.
    /// - Throws: `NoiseError.invalidKey` for a malformed private key.
    public init(privateKey: [UInt8], dh: any DiffieHellman) throws(NoiseError) {
        self.privateKey = privateKey
        publicKey = try dh.publicKey(privateKey: privateKey)
    }
}
