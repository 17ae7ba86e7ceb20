/// Noise section 8: a protocol name such as
/// `Noise_XXpsk3_25519_ChaChaPoly_SHA256`, parsed into its parts.
public struct NoiseProtocolName: Sendable, Equatable, CustomStringConvertible {
    /// The full name as given.
    public let description: String
    /// The base pattern name (`XX`) and its modifiers (`["psk3"]`).
    public let patternName: String
    public let modifiers: [String]
    /// The pattern with modifiers applied.
    public let pattern: HandshakePattern
    /// The DH function.
    public let diffieHellman: any DiffieHellman

    public static func == (lhs: NoiseProtocolName, rhs: NoiseProtocolName) -> Bool {
        lhs.description == rhs.description
    }

    /// Parses `name`. Only the `ChaChaPoly` cipher and the `SHA256` hash are
    /// supported.
    /// - Throws: `NoiseError.unsupportedProtocol` saying which part is wrong.
    public init(_ name: String) throws(NoiseError) {
        let parts = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[0] == "Noise" else {
            throw .unsupportedProtocol(name: name, reason: "expected Noise_PATTERN_DH_CIPHER_HASH")
        }
        guard parts[3] == "ChaChaPoly" else {
            throw .unsupportedProtocol(name: name, reason: "cipher '\(parts[3])' is not supported (only ChaChaPoly)")
        }
        guard parts[4] == "SHA256" else {
            throw .unsupportedProtocol(name: name, reason: "hash '\(parts[4])' is not supported (only SHA256)")
        }
        guard let diffieHellman = DiffieHellmanFunctions.named(parts[2]) else {
            throw .unsupportedProtocol(name: name, reason: "DH function '\(parts[2])' is not supported")
        }
        let (base, modifiers) = NoiseProtocolName.splitPattern(parts[1])
        guard let basePattern = HandshakePattern.named(base) else {
            throw .unsupportedProtocol(name: name, reason: "unknown handshake pattern '\(base)'")
        }
        description = name
        patternName = base
        self.modifiers = modifiers
        pattern = try basePattern.applyingModifiers(modifiers)
        self.diffieHellman = diffieHellman
    }

    /// Splits `XXpsk0+psk3` into `XX` and `["psk0", "psk3"]`. The pattern
    /// name ends where a lowercase modifier begins (Noise 8: pattern names
    /// are uppercase letters and digits).
    static func splitPattern(_ text: String) -> (String, [String]) {
        guard let start = text.firstIndex(where: { $0.isLowercase }) else { return (text, []) }
        let modifiers = text[start...].split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        return (String(text[..<start]), modifiers)
    }
}
