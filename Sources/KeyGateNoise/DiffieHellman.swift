import KeyGateCrypto

/// Noise section 4.1: a Diffie-Hellman function. Implemented by `Curve25519`
/// (`25519`) and `FiniteFieldDH` (`FFDHE2048`, `FFDHE3072`, `FFDHE4096`).
public protocol DiffieHellman: Sendable {
    /// The name in protocol names (`25519`, `FFDHE2048`).
    var name: String { get }
    /// The name in key files (`x25519`, `ffdhe2048`).
    var keyAlgorithm: String { get }
    /// DHLEN: bytes of a public key and of a DH output.
    var publicKeyByteCount: Int { get }
    /// Bytes of a private key.
    var privateKeyByteCount: Int { get }
    /// A fresh private key.
    func generatePrivateKey(using random: RandomSource) -> [UInt8]
    /// The public key of `privateKey`.
    func publicKey(privateKey: [UInt8]) throws(NoiseError) -> [UInt8]
    /// DH(private, public). Throws `NoiseError.invalidPeerKey` for a
    /// public key that is invalid or gives a degenerate result.
    func agree(privateKey: [UInt8], publicKey: [UInt8]) throws(NoiseError) -> [UInt8]
}

/// The `25519` DH function (X25519, RFC 7748).
public struct Curve25519: DiffieHellman {
    public init() {}

    public var name: String { "25519" }
    public var keyAlgorithm: String { "x25519" }
    public var publicKeyByteCount: Int { X25519.keyByteCount }
    public var privateKeyByteCount: Int { X25519.keyByteCount }

    public func generatePrivateKey(using random: RandomSource) -> [UInt8] {
        random.bytes(count: X25519.keyByteCount)
    }

    public func publicKey(privateKey: [UInt8]) throws(NoiseError) -> [UInt8] {
        do {
            return try X25519.publicKey(privateKey: privateKey)
        } catch {
            throw .invalidKey("X25519 private key: \(error)")
        }
    }

    public func agree(privateKey: [UInt8], publicKey: [UInt8]) throws(NoiseError) -> [UInt8] {
        do {
            return try X25519.sharedSecret(privateKey: privateKey, publicKey: publicKey)
        } catch {
            throw .invalidPeerKey(error)
        }
    }
}

/// The `FFDHE2048`/`FFDHE3072`/`FFDHE4096` DH functions (KeyGate protocol v1,
/// section 7).
public struct FiniteFieldDH: DiffieHellman {
    public let group: FFDHEGroup

    public init(group: FFDHEGroup) {
        self.group = group
    }

    public var name: String { group.name.uppercased() }
    public var keyAlgorithm: String { group.name }
    public var publicKeyByteCount: Int { group.byteCount }
    public var privateKeyByteCount: Int { group.privateKeyByteCount }

    public func generatePrivateKey(using random: RandomSource) -> [UInt8] {
        group.generatePrivateKey(using: random)
    }

    public func publicKey(privateKey: [UInt8]) throws(NoiseError) -> [UInt8] {
        do {
            return try group.publicKey(privateKey: privateKey)
        } catch {
            throw .invalidKey("\(group.name) private key: \(error)")
        }
    }

    public func agree(privateKey: [UInt8], publicKey: [UInt8]) throws(NoiseError) -> [UInt8] {
        do {
            return try group.sharedSecret(privateKey: privateKey, publicKey: publicKey)
        } catch {
            throw .invalidPeerKey(error)
        }
    }
}

/// Looks DH functions up by their protocol-name or key-file name.
public enum DiffieHellmanFunctions {
    /// Every supported DH function.
    public static let all: [any DiffieHellman] = [
        Curve25519(),
        FiniteFieldDH(group: .ffdhe2048),
        FiniteFieldDH(group: .ffdhe3072),
        FiniteFieldDH(group: .ffdhe4096),
    ]

    /// The function called `name` in protocol names (`25519`, `FFDHE2048`).
    public static func named(_ name: String) -> (any DiffieHellman)? {
        all.first { $0.name == name }
    }

    /// The function whose key files say `algorithm` (`x25519`, `ffdhe2048`).
    public static func forKeyAlgorithm(_ algorithm: String) -> (any DiffieHellman)? {
        all.first { $0.keyAlgorithm == algorithm }
    }
}
