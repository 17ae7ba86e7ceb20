/// A named key pair of this machine (the server's, or a client's) and where
/// its files are.
public struct Identity: Sendable, CustomStringConvertible {
    /// The name the files are named after (`server`, `client`).
    public let name: String
    /// The private key, with its public key.
    public let privateKey: PrivateKey
    /// Where the private key is stored (`keys/server.key`).
    public let privateKeyPath: String
    /// Where the public key is stored (`keys/server.pub`).
    public let publicKeyPath: String

    /// An identity from its parts; `KeyStore` makes them from files.
    public init(name: String, privateKey: PrivateKey, privateKeyPath: String, publicKeyPath: String) {
        self.name = name
        self.privateKey = privateKey
        self.privateKeyPath = privateKeyPath
        self.publicKeyPath = publicKeyPath
    }

    /// The algorithm of the key pair.
    public var algorithm: KeyAlgorithm { privateKey.algorithm }
    /// The public key.
    public var publicKey: PublicKey { privateKey.publicKey }
    /// The public key's fingerprint (`SHA256:...`).
    public var fingerprint: String { publicKey.fingerprint }

    /// `server SHA256:... (x25519)`: never the secret.
    public var description: String { "\(name) \(publicKey)" }
}
