import KeyGateCrypto
import KeyGateKeys

/// Deliberately broken code, to prove that the checker reports what it
/// must: each variant is a timing leak KeyGate could plausibly contain, run
/// on poisoned secrets like the real checks. `Benchmarks/ct-check.sh
/// --prove-it-fails` runs each one alone and fails unless memcheck reports
/// it, in this file.
///
/// Compiled in only with -Xswiftc -DKEYGATE_CONSTANT_TIME_BROKEN_VARIANTS,
/// by that mode's separate build; never in the checker CI runs, and never
/// in a library.
enum BrokenVariants {
    #if KEYGATE_CONSTANT_TIME_BROKEN_VARIANTS
    static let all = [
        Check("early-exit-tag-comparison") { () throws(CheckFailure) in
            let key = Secrets.bytes(32, "aead key"), nonce = Secrets.publicBytes(12, "aead nonce")
            let plaintext = Secrets.bytes(40, "aead plaintext")
            let sealed = try Expect.succeeds("seal") { () throws(CryptoError) in
                try ChaChaPoly.seal(plaintext, key: key, nonce: nonce, authenticating: [])
            }
            try Expect.isTrue(try openComparingTagsWithEarlyExit(sealed, key: key, nonce: nonce), "the broken open")
        },
        Check("secret-indexed-table-lookup") { () throws(CheckFailure) in
            let secret = Secrets.publicBytes(32, "x25519 key line")
            var line = "x25519 " + Base64.encode(secret) + " alice"
            Secrets.poison(&line, from: 7, count: 44)
            let decoded = line.withUTF8 { tableDecode(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[7..<51])) }
            try Expect.equal(decoded ?? [], secret, "the table decoder")
        },
        Check("branch-on-key-bit") { () throws(CheckFailure) in
            let exponent = Secrets.bytes(32, "ffdhe2048 alice")
            _ = ConstantTimeValidation.declassify(squareAndMultiply(base: 3, exponent: exponent))
        },
        Check("leading-zero-skip") { () throws(CheckFailure) in
            var exponent = Secrets.publicBytes(32, "ffdhe2048 alice")
            exponent[0] = 0
            _ = SHA256.hash(skippingLeadingZeros(Secrets.poisoned(exponent)))
        },
    ]

    /// ChaCha20-Poly1305 open (RFC 8439 section 2.8) with the classic
    /// mistake: the tags compared byte by byte, returning at the first
    /// difference, so the time tells how many leading bytes of a forged tag
    /// are right.
    @inline(never)
    static func openComparingTagsWithEarlyExit(_ sealed: [UInt8], key: [UInt8], nonce: [UInt8]) throws(CheckFailure) -> Bool {
        let ciphertext = Array(sealed.dropLast(16)), tag = Array(sealed.suffix(16))
        let oneTimeKey = try Expect.succeeds("Poly1305 key") { () throws(CryptoError) in try ChaChaPoly.poly1305KeyGen(key: key, nonce: nonce) }
        var macData = ciphertext + [UInt8](repeating: 0, count: (16 - ciphertext.count % 16) % 16)
        withUnsafeBytes(of: UInt64(0).littleEndian) { macData += $0 }
        withUnsafeBytes(of: UInt64(ciphertext.count).littleEndian) { macData += $0 }
        let expected = try Expect.succeeds("Poly1305") { () throws(CryptoError) in try Poly1305.authenticate(message: macData, key: oneTimeKey) }
        for index in 0..<16 where expected[index] != tag[index] {
            return false
        }
        return true
    }

    /// The table-driven base64 decoder KeyGate had: each character of the
    /// secret text indexes a 256-entry table.
    @inline(never)
    static func tableDecode(_ text: UnsafeRawBufferPointer) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        var output: [UInt8] = []
        var accumulator: UInt32 = 0, bitCount = 0
        for character in text where character != UInt8(ascii: "=") {
            let value = values[Int(character)]
            accumulator = accumulator << 6 | UInt32(value & 0x3F)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        return output
    }

    /// Left-to-right binary exponentiation modulo 2^61 - 1 that multiplies
    /// only when the exponent bit is set: a branch on every key bit. (The
    /// products are reduced lazily, without a conditional subtraction, so
    /// that the branch is the only leak.)
    @inline(never)
    static func squareAndMultiply(base: UInt64, exponent: [UInt8]) -> UInt64 {
        let modulus: UInt64 = (1 << 61) - 1
        // For a, b < 2^62: a * b folded twice with 2^61 = 1 stays below 2^62.
        func multiply(_ a: UInt64, _ b: UInt64) -> UInt64 {
            let product = UInt128(a) &* UInt128(b)
            let folded = UInt64(truncatingIfNeeded: product & UInt128(modulus)) &+ UInt64(truncatingIfNeeded: product >> 61)
            return (folded & modulus) &+ (folded >> 61)
        }
        var result: UInt64 = 1
        for byte in exponent {
            for shift in stride(from: 7, through: 0, by: -1) {
                result = multiply(result, result)
                if (byte >> UInt8(shift)) & 1 == 1 {
                    result = multiply(result, base)
                }
            }
        }
        return result
    }

    /// The exponent without its leading zero bytes, to save work: how much
    /// is left then tells the size of the secret.
    @inline(never)
    static func skippingLeadingZeros(_ exponent: [UInt8]) -> [UInt8] {
        Array(exponent.drop { $0 == 0 })
    }
    #else
    static let all: [Check] = []
    #endif
}
