/// HKDF with SHA-256 (RFC 5869): derives keys from input keying material.
public enum HKDFSHA256 {
    /// The most output one derivation may produce: 255 blocks of 32 bytes.
    public static let maximumOutputByteCount = 255 * SHA256.byteCount

    /// Extract-then-expand (RFC 5869 section 2).
    ///
    /// An empty `salt` means a string of 32 zero bytes, as the RFC says
    /// (the two give the same HMAC key).
    /// - Throws: `CryptoError.invalidOutputLength` unless
    ///   `0 <= outputByteCount <= 8160`.
    public static func deriveKey(
        inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        let pseudorandomKey = extract(inputKeyMaterial: inputKeyMaterial, salt: salt)
        return try expand(pseudorandomKey: pseudorandomKey, info: info, outputByteCount: outputByteCount)
    }

    /// RFC 5869 section 2.2: PRK = HMAC-Hash(salt, IKM).
    public static func extract(inputKeyMaterial: [UInt8], salt: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(key: salt, message: inputKeyMaterial)
    }

    /// RFC 5869 section 2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i).
    /// - Throws: `CryptoError.invalidOutputLength` unless
    ///   `0 <= outputByteCount <= 8160`.
    public static func expand(
        pseudorandomKey: [UInt8], info: [UInt8], outputByteCount: Int
    ) throws(CryptoError) -> [UInt8] {
        guard (0...maximumOutputByteCount).contains(outputByteCount) else {
            throw .invalidOutputLength(requested: outputByteCount, maximum: maximumOutputByteCount)
        }
        var output: [UInt8] = []
        output.reserveCapacity(outputByteCount + SHA256.byteCount)
        var previous: [UInt8] = []
        var counter: UInt8 = 1
        let keyed = HMACSHA256.Authenticator(key: pseudorandomKey)
        while output.count < outputByteCount {
            var authenticator = keyed
            authenticator.update(previous)
            authenticator.update(info)
            authenticator.update([counter])
            previous = authenticator.finalize()
            output.append(contentsOf: previous)
            counter &+= 1
        }
        output.removeLast(output.count - outputByteCount)
        return output
    }
}
