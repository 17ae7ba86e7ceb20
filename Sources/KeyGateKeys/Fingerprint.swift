import KeyGateCrypto

/// Key fingerprints: `SHA256:` followed by the unpadded base64 of the SHA-256
/// of the raw public key bytes (PROTOCOL.md section 8), as OpenSSH prints them.
public enum Fingerprint {
    /// The text every fingerprint starts with.
    public static let prefix = "SHA256:"

    /// The fingerprint of a public key given as its raw bytes.
    public static func of(_ publicKeyBytes: [UInt8]) -> String {
        prefix + Base64.encode(SHA256.hash(publicKeyBytes), padded: false)
    }
}
