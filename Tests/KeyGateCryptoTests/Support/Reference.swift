// Test-only reference implementations of ChaCha20, Poly1305 and the AEAD,
// written straight from the RFC 8439 pseudocode: one block at a time, on
// scalar words, Poly1305 in five 26-bit limbs. They share no code with the
// library, so the vectorized and interleaved fast paths are checked against
// something independent of them.

enum Reference {
    /// RFC 8439 section 2.3: the 64-byte block `counter`.
    static func chaCha20Block(key: [UInt8], counter: UInt32, nonce: [UInt8]) -> [UInt8] {
        precondition(key.count == 32 && nonce.count == 12)
        var state: [UInt32] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574]
        state += (0..<8).map { word(key, at: 4 * $0) }
        state.append(counter)
        state += (0..<3).map { word(nonce, at: 4 * $0) }
        var working = state
        for _ in 0..<10 {
            quarterRound(&working, 0, 4, 8, 12)
            quarterRound(&working, 1, 5, 9, 13)
            quarterRound(&working, 2, 6, 10, 14)
            quarterRound(&working, 3, 7, 11, 15)
            quarterRound(&working, 0, 5, 10, 15)
            quarterRound(&working, 1, 6, 11, 12)
            quarterRound(&working, 2, 7, 8, 13)
            quarterRound(&working, 3, 4, 9, 14)
        }
        var block: [UInt8] = []
        for index in 0..<16 {
            let value = working[index] &+ state[index]
            block += (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * UInt32($0))) }
        }
        return block
    }

    /// RFC 8439 section 2.4: `data` XORed with the keystream from block `counter`.
    static func chaCha20(_ data: [UInt8], key: [UInt8], nonce: [UInt8], counter: UInt32) -> [UInt8] {
        var output = data
        for start in stride(from: 0, to: data.count, by: 64) {
            let block = chaCha20Block(key: key, counter: counter &+ UInt32(start / 64), nonce: nonce)
            for index in start..<min(start + 64, data.count) {
                output[index] ^= block[index - start]
            }
        }
        return output
    }

    /// RFC 8439 section 2.5: the Poly1305 tag, with h and r in five 26-bit
    /// limbs so that every product fits in 64 bits.
    static func poly1305(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        precondition(key.count == 32)
        let clamp: UInt128 = 0x0fff_fffc_0fff_fffc_0fff_fffc_0fff_ffff
        let r = limbs(littleEndian128(key, at: 0) & clamp, highBit: 0)
        var h: [UInt64] = [0, 0, 0, 0, 0]
        for start in stride(from: 0, to: message.count, by: 16) {
            let chunk = Array(message[start..<min(start + 16, message.count)])
            // A full block gets 2^128; a short one a 1 byte after its end.
            let padded = chunk + [1] + [UInt8](repeating: 0, count: 16 - chunk.count)
            let m = limbs(littleEndian128(padded, at: 0), highBit: UInt64(padded[16]))
            for index in 0..<5 { h[index] += m[index] }
            // Limb product i*j weighs 2^(26(i+j)); past 2^130 it wraps to
            // i+j-5, times 5, since 2^130 = 5 mod p.
            var product = [UInt64](repeating: 0, count: 5)
            for i in 0..<5 {
                for j in 0..<5 {
                    let term = h[i] * r[j]
                    if i + j < 5 { product[i + j] += term } else { product[i + j - 5] += 5 * term }
                }
            }
            h = carried(product)
        }
        // h mod p: h + 5 - 2^130 if that is not negative, else h.
        var g = h
        g[0] += 5
        for index in 0..<4 {
            g[index + 1] += g[index] >> 26
            g[index] &= mask26
        }
        if g[4] >> 26 != 0 {
            g[4] &= mask26
            h = g
        }
        let value = UInt128(h[0]) &+ UInt128(h[1]) << 26 &+ UInt128(h[2]) << 52 &+ UInt128(h[3]) << 78 &+ UInt128(h[4]) << 104
        let tag = value &+ littleEndian128(key, at: 16)
        return (0..<16).map { UInt8(truncatingIfNeeded: tag >> (8 * UInt128($0))) }
    }

    /// RFC 8439 section 2.8: ciphertext and tag.
    static func seal(_ plaintext: [UInt8], aad: [UInt8], key: [UInt8], nonce: [UInt8]) -> (ciphertext: [UInt8], tag: [UInt8]) {
        let oneTimeKey = Array(chaCha20Block(key: key, counter: 0, nonce: nonce).prefix(32))
        let ciphertext = chaCha20(plaintext, key: key, nonce: nonce, counter: 1)
        var macData = aad + [UInt8](repeating: 0, count: (16 - aad.count % 16) % 16)
        macData += ciphertext + [UInt8](repeating: 0, count: (16 - ciphertext.count % 16) % 16)
        macData += littleEndian64(aad.count) + littleEndian64(ciphertext.count)
        return (ciphertext, poly1305(macData, key: oneTimeKey))
    }

    static func littleEndian64(_ value: Int) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(value) >> (8 * UInt64($0))) }
    }

    private static func word(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
    }

    private static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 {
        (x << n) | (x >> (32 - n))
    }

    private static func quarterRound(_ s: inout [UInt32], _ a: Int, _ b: Int, _ c: Int, _ d: Int) {
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 16)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 12)
        s[a] &+= s[b]; s[d] ^= s[a]; s[d] = rotl(s[d], 8)
        s[c] &+= s[d]; s[b] ^= s[c]; s[b] = rotl(s[b], 7)
    }

    private static let mask26: UInt64 = (1 << 26) - 1

    private static func littleEndian128(_ bytes: [UInt8], at offset: Int) -> UInt128 {
        (0..<16).reduce(0) { $0 | UInt128(bytes[offset + $1]) << (8 * UInt128($1)) }
    }

    /// `value + highBit * 2^128` as five 26-bit limbs.
    private static func limbs(_ value: UInt128, highBit: UInt64) -> [UInt64] {
        (0..<5).map { UInt64(truncatingIfNeeded: value >> (26 * UInt128($0))) & mask26 } .enumerated().map {
            $0.offset == 4 ? $0.element | highBit << 24 : $0.element
        }
    }

    /// Carries every limb into the next and the top one back into the first,
    /// times 5: all limbs below 2^26 except the second, a little above.
    private static func carried(_ value: [UInt64]) -> [UInt64] {
        var h = value
        for index in 0..<4 {
            h[index + 1] += h[index] >> 26
            h[index] &= mask26
        }
        h[0] += 5 * (h[4] >> 26)
        h[4] &= mask26
        h[1] += h[0] >> 26
        h[0] &= mask26
        return h
    }
}
