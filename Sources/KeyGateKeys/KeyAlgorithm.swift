import KeyGateNoise

/// The Diffie-Hellman algorithm of a key, as named in key files
/// (PROTOCOL.md section 8).
public enum KeyAlgorithm: String, CaseIterable, Sendable, CustomStringConvertible {
    case x25519
    case ffdhe2048
    case ffdhe3072
    case ffdhe4096

    /// The algorithm of `diffieHellman`, matched by its key-file name.
    public init?(diffieHellman: any DiffieHellman) {
        self.init(rawValue: diffieHellman.keyAlgorithm)
    }

    /// The Noise DH function that uses keys of this algorithm.
    public var diffieHellman: any DiffieHellman {
        guard let function = DiffieHellmanFunctions.forKeyAlgorithm(rawValue) else {
            // Every case is in DiffieHellmanFunctions.all (checked by a test).
            preconditionFailure("no DH function for key algorithm \(rawValue)")
        }
        return function
    }

    /// Bytes of a public key: 32 for X25519, 256/384/512 for FFDHE.
    public var publicKeyByteCount: Int { diffieHellman.publicKeyByteCount }

    /// Bytes of a private key: 32 for X25519, 32/48/64 for FFDHE.
    public var privateKeyByteCount: Int { diffieHellman.privateKeyByteCount }

    /// What a key store appends to an identity's name for its files: nothing
    /// for X25519 (`server.key`), `-ffdhe2048` and so on otherwise
    /// (`server-ffdhe2048.key`).
    public var fileNameSuffix: String {
        self == .x25519 ? "" : "-" + rawValue
    }

    /// The name in key files (`x25519`, `ffdhe2048`).
    public var description: String { rawValue }

    /// Every name, for messages: `x25519, ffdhe2048, ffdhe3072 or ffdhe4096`.
    public static var allNames: String {
        let names = allCases.map(\.rawValue)
        return names.dropLast().joined(separator: ", ") + " or " + names.last!
    }
}
