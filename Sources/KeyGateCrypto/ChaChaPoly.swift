/// The ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8): 32-byte key, 12-byte
/// nonce; the sealed form is the ciphertext followed by a 16-byte tag.
public enum ChaChaPoly {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let tagByteCount = 16
    /// The longest plaintext one nonce can seal: the block counter starts at
    /// 1 and has 32 bits.
    public static let maximumPlaintextByteCount = (1 << 32 - 1) * 64

    /// Encrypts `plaintext` and authenticates it with `aad`.
    /// - Returns: ciphertext || 16-byte tag.
    /// - Throws: `CryptoError.invalidLength` for a wrong key or nonce size,
    ///   `CryptoError.messageTooLong` past 256 GiB.
    public static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let key = try ChaCha20.Key(key), nonce = try ChaCha20.Nonce(nonce)
        try ChaCha20.checkCounterRange(byteCount: plaintext.count, counter: 1)
        var sealed = plaintext
        sealed.append(contentsOf: repeatElement(0, count: tagByteCount))
        sealed.withUnsafeMutableBytes { sealed in
            aad.withUnsafeBytes { aad in
                let body = UnsafeMutableRawBufferPointer(rebasing: sealed[0..<plaintext.count])
                seal(body, tag: sealed.baseAddress! + plaintext.count, key: key, nonce: nonce, aad: aad)
            }
        }
        return sealed
    }

    /// Checks the tag of `sealed` (ciphertext || tag) and decrypts it.
    /// - Throws: `CryptoError.authenticationFailed` if anything was altered or
    ///   the key, nonce or `aad` differ; `CryptoError.invalidLength` for a
    ///   wrong key or nonce size or a message shorter than the tag.
    public static func open(
        _ sealed: [UInt8], key: [UInt8], nonce: [UInt8], authenticating aad: [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        let key = try ChaCha20.Key(key), nonce = try ChaCha20.Nonce(nonce)
        guard sealed.count >= tagByteCount else {
            throw .invalidLength(parameter: "sealed message", expected: tagByteCount, actual: sealed.count)
        }
        let bodyCount = sealed.count - tagByteCount
        var plaintext = Array(sealed[0..<bodyCount])
        let tag = Array(sealed[bodyCount...])
        let authentic = plaintext.withUnsafeMutableBytes { body in
            tag.withUnsafeBytes { tag in
                aad.withUnsafeBytes { aad in
                    (try? open(body, tag: tag.baseAddress!, key: key, nonce: nonce, aad: aad)) != nil
                }
            }
        }
        guard authentic else { throw .authenticationFailed }
        return plaintext
    }

    /// RFC 8439 section 2.6: the one-time Poly1305 key, the first 32 bytes of
    /// ChaCha20 block 0.
    public static func poly1305KeyGen(key: [UInt8], nonce: [UInt8]) throws(CryptoError) -> [UInt8] {
        Array(try ChaCha20.block(key: key, counter: 0, nonce: nonce).prefix(32))
    }

    /// Encrypts `buffer` in place and writes the 16-byte tag to `tag`.
    /// The caller keeps `buffer` under 256 GiB.
    @inlinable
    public static func seal(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer
    ) {
        var authenticator = oneTimeAuthenticator(key: key, nonce: nonce)
        ChaCha20.xorKeyStream(buffer, key: key, nonce: nonce, counter: 1)
        authenticate(&authenticator, aad: aad, ciphertext: UnsafeRawBufferPointer(buffer))
        authenticator.finalize(into: tag)
    }

    /// Verifies `tag` over the ciphertext in `buffer`, then decrypts it in
    /// place. On failure `buffer` is left untouched.
    /// - Throws: `CryptoError.authenticationFailed`.
    @inlinable
    public static func open(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer
    ) throws(CryptoError) {
        var authenticator = oneTimeAuthenticator(key: key, nonce: nonce)
        authenticate(&authenticator, aad: aad, ciphertext: UnsafeRawBufferPointer(buffer))
        let matches = withUnsafeTemporaryAllocation(byteCount: tagByteCount, alignment: 8) { expected in
            authenticator.finalize(into: expected.baseAddress!)
            return ConstantTime.equals(UnsafeRawBufferPointer(expected), UnsafeRawBufferPointer(start: tag, count: tagByteCount))
        }
        guard matches else { throw .authenticationFailed }
        ChaCha20.xorKeyStream(buffer, key: key, nonce: nonce, counter: 1)
    }

    @inlinable
    static func oneTimeAuthenticator(key: ChaCha20.Key, nonce: ChaCha20.Nonce) -> Poly1305.State {
        withUnsafeTemporaryAllocation(byteCount: ChaCha20.blockByteCount, alignment: 16) { block in
            block.initializeMemory(as: UInt8.self, repeating: 0)
            ChaCha20.xorKeyStream(block, key: key, nonce: nonce, counter: 0)
            return Poly1305.State(key: UnsafeRawPointer(block.baseAddress!))
        }
    }

    /// Section 2.8: MAC over aad, pad16, ciphertext, pad16, and the two
    /// lengths as 64-bit little-endian numbers.
    @inlinable
    static func authenticate(_ authenticator: inout Poly1305.State, aad: UnsafeRawBufferPointer, ciphertext: UnsafeRawBufferPointer) {
        authenticator.absorbPadded(aad.baseAddress, byteCount: aad.count)
        authenticator.absorbPadded(ciphertext.baseAddress, byteCount: ciphertext.count)
        withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { lengths in
            lengths.storeBytes(of: UInt64(aad.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            lengths.storeBytes(of: UInt64(ciphertext.count).littleEndian, toByteOffset: 8, as: UInt64.self)
            authenticator.absorbBlocks(UnsafeRawPointer(lengths.baseAddress!), count: 1)
        }
    }
}
