import COpenSSL

/// OpenSSL's libcrypto, the reference the differential targets compare
/// KeyGate's primitives with (Fuzz/Support/COpenSSL/COpenSSL.h). Compiled
/// only into targets whose `// fuzz-libraries:` line names openssl.
enum OpenSSL {
    static func chaCha20Poly1305Seal(key: [UInt8], nonce: [UInt8], aad: [UInt8], plaintext: [UInt8]) -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: plaintext.count + 16)
        _ = kg_ossl_chacha20_poly1305_seal(key, nonce, aad, aad.count, plaintext, plaintext.count, &sealed)
        return sealed
    }

    /// The plaintext, or nil when the tag is wrong (`sealed` holds at least the tag).
    static func chaCha20Poly1305Open(key: [UInt8], nonce: [UInt8], aad: [UInt8], sealed: [UInt8]) -> [UInt8]? {
        precondition(sealed.count >= 16)
        var plaintext = [UInt8](repeating: 0, count: sealed.count - 16 + 1)
        let authentic = kg_ossl_chacha20_poly1305_open(key, nonce, aad, aad.count, sealed, sealed.count - 16, &plaintext)
        return authentic == 1 ? Array(plaintext.dropLast()) : nil
    }

    /// X25519(scalar, u), or nil when OpenSSL refuses an all-zero result.
    static func x25519(scalar: [UInt8], u: [UInt8]) -> [UInt8]? {
        var shared = [UInt8](repeating: 0, count: 32)
        return kg_ossl_x25519(scalar, u, &shared) == 1 ? shared : nil
    }

    static func x25519PublicKey(scalar: [UInt8]) -> [UInt8] {
        var publicKey = [UInt8](repeating: 0, count: 32)
        _ = kg_ossl_x25519_public_key(scalar, &publicKey)
        return publicKey
    }

    static func sha256(_ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        _ = kg_ossl_sha256(message, message.count, &digest)
        return digest
    }

    static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var tag = [UInt8](repeating: 0, count: 32)
        _ = kg_ossl_hmac_sha256(key, key.count, message, message.count, &tag)
        return tag
    }

    /// HKDF-SHA256 output of `count` bytes, or nil when OpenSSL refuses the length.
    static func hkdfSHA256(inputKeyMaterial: [UInt8], salt: [UInt8], info: [UInt8], count: Int) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: max(count, 1))
        let derived = kg_ossl_hkdf_sha256(
            inputKeyMaterial, inputKeyMaterial.count, salt, salt.count, info, info.count, &output, count)
        return derived == 1 ? Array(output.prefix(count)) : nil
    }

    /// base^exponent mod modulus (BN_mod_exp), big-endian, as many bytes as the modulus.
    static func modularExponentiation(base: [UInt8], exponent: [UInt8], modulus: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: modulus.count)
        _ = kg_ossl_mod_exp(base, base.count, exponent, exponent.count, modulus, modulus.count, &result)
        return result
    }

    /// Whether a < b as big-endian numbers (BN_cmp).
    static func isLess(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        kg_ossl_compare(a, a.count, b, b.count) < 0
    }
}

extension Array where Element == UInt8 {
    /// Lowercase hexadecimal, for mismatch reports.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }
}
