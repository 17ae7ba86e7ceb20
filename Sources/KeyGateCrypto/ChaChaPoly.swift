import CKeyGateCrypto

/// The ChaCha20-Poly1305 AEAD (RFC 8439 section 2.8): 32-byte key, 12-byte
/// nonce; the sealed form is the ciphertext followed by a 16-byte tag.
///
/// The pass over the message is the portable Swift (`cryptPortable`) or,
/// on a CPU with AVX2 and BMI2, a C kernel of CKeyGateCrypto (on AVX-512
/// where the CPU has it), chosen once by
/// `ChaChaPolyKernel.selected`; the tag comparison, the restoring of the
/// ciphertext on a wrong tag and what is declassified are the same for both.
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
    public static func seal(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer
    ) {
        seal(buffer, tag: tag, key: key, nonce: nonce, aad: aad, kernel: ChaChaPolyKernel.selected)
    }

    /// `seal` on the given kernel.
    static func seal(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeMutableRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer, kernel: ChaChaPolyKernel
    ) {
        crypt(buffer, key: key, nonce: nonce, aad: aad, sealing: true, tag: tag, kernel: kernel)
        // The ciphertext and the tag are what goes on the wire: public.
        ConstantTimeValidation.declassify(UnsafeRawBufferPointer(buffer))
        ConstantTimeValidation.declassify(UnsafeRawBufferPointer(start: tag, count: tagByteCount))
    }

    /// Decrypts `buffer` in place if `tag` is right for its ciphertext. On
    /// failure `buffer` is left as it was (it holds unauthenticated
    /// plaintext only while this call runs).
    /// - Throws: `CryptoError.authenticationFailed`.
    public static func open(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer
    ) throws(CryptoError) {
        try open(buffer, tag: tag, key: key, nonce: nonce, aad: aad, kernel: ChaChaPolyKernel.selected)
    }

    /// `open` on the given kernel.
    static func open(
        _ buffer: UnsafeMutableRawBufferPointer, tag: UnsafeRawPointer,
        key: ChaCha20.Key, nonce: ChaCha20.Nonce, aad: UnsafeRawBufferPointer, kernel: ChaChaPolyKernel
    ) throws(CryptoError) {
        // Authentication and decryption share one pass over the data (see
        // `crypt`), so the buffer is decrypted before the tag is known. A
        // wrong tag is rare and its outcome public: the keystream is then
        // applied again, which restores the ciphertext.
        let matches = withUnsafeTemporaryAllocation(byteCount: tagByteCount, alignment: 8) { expected in
            crypt(buffer, key: key, nonce: nonce, aad: aad, sealing: false, tag: expected.baseAddress!, kernel: kernel)
            return ConstantTime.equals(UnsafeRawBufferPointer(expected), UnsafeRawBufferPointer(start: tag, count: tagByteCount))
        }
        // Whether the tag matched is public (the peer learns it anyway); the
        // comparison itself ran in constant time.
        guard ConstantTimeValidation.declassify(matches) else {
            ChaCha20.xorKeyStream(buffer, key: key, nonce: nonce, counter: 1, kernel: kernel)
            // The buffer holds the ciphertext again, which was public.
            ConstantTimeValidation.declassify(UnsafeRawBufferPointer(buffer))
            throw .authenticationFailed
        }
    }

    /// XORs `buffer` with the keystream from block 1 and writes to `tag` the
    /// Poly1305 tag over aad, pad16, ciphertext, pad16 and the two lengths
    /// (section 2.8), on the given kernel: a C one (chacha20_poly1305_avx2.c)
    /// or `cryptPortable`.
    static func crypt(
        _ buffer: UnsafeMutableRawBufferPointer, key: ChaCha20.Key, nonce: ChaCha20.Nonce,
        aad: UnsafeRawBufferPointer, sealing: Bool, tag: UnsafeMutableRawPointer, kernel: ChaChaPolyKernel
    ) {
        switch kernel {
        case .portable:
            cryptPortable(buffer, key: key, nonce: nonce, aad: aad, sealing: sealing).finalize(into: tag)
        case .avx2, .avx512:
            let aead = kernel == .avx2 ? ckg_chacha20_poly1305_avx2 : ckg_chacha20_poly1305_avx512
            ChaCha20.withKernelWords(key: key, nonce: nonce) { key, nonce in
                aead(
                    buffer.baseAddress?.assumingMemoryBound(to: UInt8.self), buffer.count,
                    aad.baseAddress?.assumingMemoryBound(to: UInt8.self), aad.count,
                    key, nonce, sealing ? 1 : 0, tag.assumingMemoryBound(to: UInt8.self))
            }
        }
    }

    /// The portable Swift of `crypt`, section 2.8 in one pass: XORs
    /// `buffer` with the keystream from block 1 and returns the Poly1305
    /// state over aad, pad16, ciphertext, pad16 and the two lengths (the
    /// ciphertext is what `buffer` holds after the call when sealing, before
    /// it when opening).
    ///
    /// Block 0 gives the one-time key (section 2.6); the pass that computes
    /// it (four blocks, or two for a message of at most 64 bytes) also
    /// encrypts up to the first 192 bytes. Then each 256 bytes of keystream
    /// is computed with Poly1305 interleaved between its rounds (see
    /// `ChaCha20.fourBlocks`), over the ciphertext already available: when
    /// sealing, what earlier passes wrote; when opening, the chunk about to
    /// be decrypted, which must be absorbed before it is
    /// overwritten. Every branch depends only on lengths.
    static func cryptPortable(
        _ buffer: UnsafeMutableRawBufferPointer, key: ChaCha20.Key, nonce: ChaCha20.Nonce,
        aad: UnsafeRawBufferPointer, sealing: Bool
    ) -> Poly1305.State {
        withUnsafeTemporaryAllocation(byteCount: 256, alignment: 16) { keystream in
            let stream = keystream.baseAddress!
            // An empty buffer may have no address: any valid one does then.
            let start = buffer.baseAddress ?? stream
            let end = UnsafeRawPointer(start + buffer.count)
            let headCount = min(buffer.count, 3 * ChaCha20.blockByteCount)
            stream.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
            ChaCha20.xorChunk(
                into: stream, count: ChaCha20.blockByteCount + headCount, key: key, nonce: nonce, counter: 0)
            var authenticator = Poly1305.State(key: UnsafeRawPointer(stream))
            authenticator.absorbPadded(aad.baseAddress, byteCount: aad.count)
            if !sealing {
                authenticator.absorbPadded(UnsafeRawPointer(start), byteCount: headCount)
            }
            ChaCha20.xorBytes(UnsafeRawPointer(stream + ChaCha20.blockByteCount), into: start, count: headCount)

            // The ciphertext not yet absorbed starts at `cursor`.
            var cursor = UnsafeRawPointer(start + (sealing ? 0 : headCount))
            var offset = headCount
            var counter: UInt32 = 4
            while offset < buffer.count {
                let chunk = start + offset
                let chunkCount = min(256, buffer.count - offset)
                let available = UnsafeRawPointer(sealing ? chunk : chunk + chunkCount)
                if chunkCount == 256 && available - cursor == 256 {
                    // The common case, without length checks: the sixteen
                    // blocks of the 256 bytes pending, two after each of
                    // eight double rounds.
                    ChaCha20.fourBlocks(key: key, nonce: nonce, counter: counter, interleaving: {
                        authenticator.absorbBlocks(cursor, count: 2)
                        cursor += 32
                    }) { words in
                        ChaCha20.xorWords(words, into: chunk)
                    }
                } else {
                    ChaCha20.xorChunk(
                        into: chunk, count: chunkCount, key: key, nonce: nonce, counter: counter,
                        interleaving: {
                            authenticator.absorbBlocks(from: &cursor, upTo: available, limit: 2)
                        },
                        beforeXOR: {
                            if !sealing {
                                authenticator.absorbPadded(cursor, byteCount: available - cursor)
                                cursor = available
                            }
                        })
                }
                offset += 256
                counter &+= 4
            }
            authenticator.absorbPadded(cursor, byteCount: end - cursor)
            // The lengths block, in the no longer needed keystream buffer.
            stream.storeBytes(of: UInt64(aad.count).littleEndian, toByteOffset: 0, as: UInt64.self)
            stream.storeBytes(of: UInt64(buffer.count).littleEndian, toByteOffset: 8, as: UInt64.self)
            authenticator.absorbBlocks(UnsafeRawPointer(stream), count: 1)
            return authenticator
        }
    }
}
