import KeyGateCrypto

/// Noise section 5.1: a ChaChaPoly key (or none) and a 64-bit nonce.
///
/// A value type: every operation works on the fields and only advances the
/// nonce after success, so a failed decryption leaves the state exactly as
/// it was (Noise 5.1: "if an authentication failure occurs ... n is not
/// incremented"). The nonce 2^64-1 is reserved (Noise 5.1) and never used:
/// reaching it is `NoiseError.nonceExhausted`, never a wrap.
public struct CipherState: Sendable {
    /// The largest nonce that may be used; 2^64-1 is reserved.
    public static let maximumNonce: UInt64 = .max - 1
    /// Noise section 3: the most bytes of one Noise message.
    public static let maximumMessageByteCount = 65535
    /// The tag length of ChaChaPoly.
    public static let tagByteCount = ChaChaPoly.tagByteCount

    /// The key, wiped once no copy of this state holds it any more; each
    /// operation builds the cipher's key words from it for that message.
    @usableFromInline var key: SecretBytes?
    /// The nonce the next operation will use.
    public private(set) var nonce: UInt64 = 0

    /// A state without a key: encryption is the identity (Noise 5.1).
    public init() {}

    /// A state with `key` (32 bytes) and nonce 0.
    public init(key: [UInt8]) throws(NoiseError) {
        guard key.count == ChaChaPoly.keyByteCount else {
            throw .invalidKey("cipher key must be 32 bytes, got \(key.count)")
        }
        self.key = SecretBytes(key)
    }

    /// A state keyed by a 32-byte HKDF output (the length is guaranteed).
    init(derivedKey: SecretBytes) {
        precondition(derivedKey.count == ChaChaPoly.keyByteCount)
        key = derivedKey
    }

    /// Whether a key is set.
    public var hasKey: Bool { key != nil }

    /// A copy of the key, for the lab keylog only (`--keylog`, which writes
    /// transport keys to a file so that a capture can be decrypted): any
    /// other use defeats the wiping above. Nil without a key.
    public func keyForLabKeyLog() -> [UInt8]? {
        key?.withTemporaryArray { Array($0) }
    }

    /// The cipher's key words for one operation, built from the stored key.
    @inline(__always)
    private var cipherKey: ChaCha20.Key? {
        key?.withUnsafeBytes { ChaCha20.Key(bytesAt: $0.baseAddress!) }
    }

    /// EncryptWithAd: returns ciphertext || tag, or the plaintext itself when
    /// no key is set.
    /// - Throws: `NoiseError.nonceExhausted`, `NoiseError.messageTooLong`.
    public mutating func encrypt(_ plaintext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key = cipherKey else { return plaintext }
        try checkNonce()
        guard plaintext.count + CipherState.tagByteCount <= CipherState.maximumMessageByteCount else {
            throw .messageTooLong(plaintext.count + CipherState.tagByteCount)
        }
        var output = plaintext
        output.append(contentsOf: repeatElement(0, count: CipherState.tagByteCount))
        output.withUnsafeMutableBytes { buffer in
            associatedData.withUnsafeBytes { aad in
                ChaChaPoly.seal(
                    UnsafeMutableRawBufferPointer(rebasing: buffer[0..<plaintext.count]),
                    tag: buffer.baseAddress! + plaintext.count,
                    key: key, nonce: ChaCha20.Nonce(noiseCounter: nonce), aad: aad)
            }
        }
        nonce += 1
        return output
    }

    /// DecryptWithAd: checks the tag and returns the plaintext, or returns
    /// the input itself when no key is set. On failure the nonce does not
    /// advance.
    /// - Throws: `NoiseError.decryptionFailed`, `NoiseError.nonceExhausted`.
    public mutating func decrypt(_ ciphertext: [UInt8], associatedData: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard let key = cipherKey else { return ciphertext }
        try checkNonce()
        guard ciphertext.count >= CipherState.tagByteCount else { throw .decryptionFailed }
        guard ciphertext.count <= CipherState.maximumMessageByteCount else { throw .messageTooLong(ciphertext.count) }
        let bodyCount = ciphertext.count - CipherState.tagByteCount
        var plaintext = Array(ciphertext[0..<bodyCount])
        let nonce = self.nonce
        let opened: Bool = plaintext.withUnsafeMutableBytes { body in
            ciphertext.withUnsafeBytes { sealed in
                associatedData.withUnsafeBytes { aad in
                    do {
                        try ChaChaPoly.open(
                            body, tag: sealed.baseAddress! + bodyCount, key: key,
                            nonce: ChaCha20.Nonce(noiseCounter: nonce), aad: aad)
                        return true
                    } catch {
                        return false
                    }
                }
            }
        }
        guard opened else { throw .decryptionFailed }
        self.nonce = nonce + 1
        return plaintext
    }

    /// Encrypts `buffer` in place and writes the tag after it, for callers
    /// that frame messages themselves (no allocation per message).
    /// - Throws: `NoiseError.outOfOrder` without a key, `NoiseError.nonceExhausted`.
    public mutating func encrypt(
        inPlace buffer: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer,
        associatedData: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) throws(NoiseError) {
        guard let key = cipherKey else { throw .outOfOrder("transport cipher has no key") }
        try checkNonce()
        ChaChaPoly.seal(buffer, tag: tag, key: key, nonce: ChaCha20.Nonce(noiseCounter: nonce), aad: associatedData)
        nonce += 1
    }

    /// Verifies and decrypts `buffer` in place against `tag`. On failure the
    /// buffer and the nonce are unchanged.
    /// - Throws: `NoiseError.decryptionFailed`, `NoiseError.nonceExhausted`,
    ///   `NoiseError.outOfOrder` without a key.
    public mutating func decrypt(
        inPlace buffer: UnsafeMutableRawBufferPointer, tag: UnsafeRawPointer,
        associatedData: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
    ) throws(NoiseError) {
        guard let key = cipherKey else { throw .outOfOrder("transport cipher has no key") }
        try checkNonce()
        do {
            try ChaChaPoly.open(buffer, tag: tag, key: key, nonce: ChaCha20.Nonce(noiseCounter: nonce), aad: associatedData)
        } catch {
            throw .decryptionFailed
        }
        nonce += 1
    }

    /// Noise 11.3: Rekey() replaces the key with the first 32 bytes of
    /// ENCRYPT(k, 2^64-1, zerolen, zeros). The nonce is unchanged.
    public mutating func rekey() throws(NoiseError) {
        guard let key = cipherKey else { throw .outOfOrder("rekey without a key") }
        var block = [UInt8](repeating: 0, count: 32 + CipherState.tagByteCount)
        block.withUnsafeMutableBytes { buffer in
            ChaChaPoly.seal(
                UnsafeMutableRawBufferPointer(rebasing: buffer[0..<32]), tag: buffer.baseAddress! + 32,
                key: key, nonce: ChaCha20.Nonce(noiseCounter: .max), aad: UnsafeRawBufferPointer(start: nil, count: 0))
        }
        self.key = block.withUnsafeBytes { bytes in
            SecretBytes(count: 32) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<32])) }
        }
        SecretBytes.wipe(&block)
    }

    /// Test support: jumps the nonce (to exercise exhaustion without 2^64 messages).
    mutating func setNonce(_ value: UInt64) {
        nonce = value
    }

    private func checkNonce() throws(NoiseError) {
        guard nonce <= CipherState.maximumNonce else { throw .nonceExhausted }
    }
}
