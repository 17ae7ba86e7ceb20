import KeyGateCrypto

/// SHA-256, HMAC, HKDF, Poly1305, ChaCha20, the AEAD and the tag comparison,
/// each over secret keys and secret messages, on every code path.
extension Checks {
    static let symmetric: [Check] = sha256 + hmac + hkdf + poly1305 + chaCha20 + chaChaPoly + constantTime

    static let sha256: [Check] = CodePaths.sha256.map { path in
        Check("sha256/\(path.name)") { () throws(CheckFailure) in
            for length in path.lengths {
                let message = Secrets.bytes(length, "sha256 message \(length)")
                let digest = SHA256.hash(message)
                // The same message in two pieces goes through the pending block.
                var hasher = SHA256Hasher()
                hasher.update(Array(message.prefix(length / 3)))
                hasher.update(Array(message.dropFirst(length / 3)))
                try Expect.equal(hasher.finalize(), digest, "SHA-256 of \(length) bytes in two pieces")
                try Expect.equal(digest, SHA256.hash(Secrets.publicBytes(length, "sha256 message \(length)")), "SHA-256 of \(length) bytes")
            }
        }
    }

    static let hmac: [Check] = CodePaths.hmacKeys.map { path in
        Check("hmac-sha256/\(path.name)") { () throws(CheckFailure) in
            for length in path.lengths {
                let key = Secrets.bytes(length, "hmac key \(length)")
                let message = Secrets.bytes(100, "hmac message")
                let tag = HMACSHA256.authenticate(key: key, message: message)
                var authenticator = HMACSHA256.Authenticator(key: key)
                authenticator.update(Array(message.prefix(30)))
                authenticator.update(Array(message.dropFirst(30)))
                try Expect.equal(authenticator.finalize(), tag, "incremental HMAC with a \(length)-byte key")
                let expected = HMACSHA256.authenticate(
                    key: Secrets.publicBytes(length, "hmac key \(length)"), message: Secrets.publicBytes(100, "hmac message"))
                try Expect.equal(tag, expected, "HMAC with a \(length)-byte key")
            }
        }
    }

    static let hkdf = [
        Check("hkdf-sha256/extract and expand") { () throws(CheckFailure) in
            let material = Secrets.bytes(32, "hkdf ikm"), salt = Secrets.bytes(32, "hkdf salt")
            for outputCount in [0, 16, 32, 64, 100] {
                let output = try Expect.succeeds("HKDF of \(outputCount) bytes") { () throws(CryptoError) in
                    try HKDFSHA256.deriveKey(inputKeyMaterial: material, salt: salt, info: Array("info".utf8), outputByteCount: outputCount)
                }
                let expected = try Expect.succeeds("HKDF on public input") { () throws(CryptoError) in
                    try HKDFSHA256.deriveKey(
                        inputKeyMaterial: Secrets.publicBytes(32, "hkdf ikm"), salt: Secrets.publicBytes(32, "hkdf salt"),
                        info: Array("info".utf8), outputByteCount: outputCount)
                }
                try Expect.equal(output, expected, "HKDF output of \(outputCount) bytes")
            }
            // Noise's use: an empty salt and input, secret chaining key as salt.
            _ = HKDFSHA256.extract(inputKeyMaterial: [], salt: salt)
        },
    ]

    static let poly1305: [Check] = CodePaths.poly1305.map { path in
        Check("poly1305/\(path.name)") { () throws(CheckFailure) in
            for length in path.lengths {
                let key = Secrets.bytes(32, "poly1305 key"), message = Secrets.bytes(length, "poly1305 message \(length)")
                let tag = try Expect.succeeds("Poly1305") { () throws(CryptoError) in
                    try Poly1305.authenticate(message: message, key: key)
                }
                let expected = try Expect.succeeds("Poly1305 on public input") { () throws(CryptoError) in
                    try Poly1305.authenticate(
                        message: Secrets.publicBytes(length, "poly1305 message \(length)"), key: Secrets.publicBytes(32, "poly1305 key"))
                }
                try Expect.equal(tag, expected, "Poly1305 of \(length) bytes")
            }
        }
    }

    static let chaCha20: [Check] = CodePaths.chaCha20.map { path in
        Check("chacha20/\(path.name)") { () throws(CheckFailure) in
            let key = Secrets.bytes(32, "chacha20 key")
            let nonce = Secrets.publicBytes(12, "chacha20 nonce")
            for length in path.lengths {
                let plaintext = Secrets.bytes(length, "chacha20 plaintext \(length)")
                let ciphertext = try Expect.succeeds("ChaCha20") { () throws(CryptoError) in
                    try ChaCha20.encrypt(plaintext, key: key, nonce: nonce, counter: 1)
                }
                let decrypted = try Expect.succeeds("ChaCha20") { () throws(CryptoError) in
                    try ChaCha20.encrypt(ciphertext, key: key, nonce: nonce, counter: 1)
                }
                try Expect.equal(decrypted, plaintext, "ChaCha20 round trip of \(length) bytes")
            }
        }
    }

    static let chaChaPoly: [Check] = CodePaths.chaChaPoly.flatMap { path in
        [
            Check("chacha20-poly1305/seal and open/\(path.name)") { () throws(CheckFailure) in
                try forEachSealed(path) { sealed, length, key, nonce, aad throws(CheckFailure) in
                    let opened = try Expect.succeeds("open of \(length) bytes") { () throws(CryptoError) in
                        try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: aad)
                    }
                    try Expect.equal(opened, Secrets.publicBytes(length, "aead plaintext \(length)"), "AEAD round trip of \(length) bytes")
                    // The in-place form, as the Noise transport calls it.
                    var body = Array(sealed.dropLast(ChaChaPoly.tagByteCount))
                    let tag = Array(sealed.suffix(ChaChaPoly.tagByteCount))
                    let inPlace = body.withUnsafeMutableBytes { body -> (any Error)? in
                        tag.withUnsafeBytes { tag -> (any Error)? in
                            aad.withUnsafeBytes { aad -> (any Error)? in
                                do {
                                    try ChaChaPoly.open(body, tag: tag.baseAddress!, key: ChaCha20.Key(key), nonce: ChaCha20.Nonce(nonce), aad: aad)
                                    return nil
                                } catch {
                                    return error
                                }
                            }
                        }
                    }
                    if let inPlace { throw CheckFailure(description: "in-place open of \(length) bytes failed: \(inPlace)") }
                    try Expect.equal(body, opened, "in-place open of \(length) bytes")
                }
            },
            Check("chacha20-poly1305/open tampered/\(path.name)") { () throws(CheckFailure) in
                try forEachSealed(path) { sealed, length, key, nonce, aad throws(CheckFailure) in
                    // A flipped bit in the tag, and (when there is one) in the ciphertext.
                    var positions = [sealed.count - 1]
                    if length > 0 { positions.append(length / 2) }
                    for position in positions {
                        var tampered = sealed
                        tampered[position] ^= 0x20
                        try Expect.fails("open of a message tampered at byte \(position) of \(sealed.count)") { () throws(CryptoError) in
                            _ = try ChaChaPoly.open(tampered, key: key, nonce: nonce, authenticating: aad)
                        }
                    }
                    // A wrong key: every byte of the expected tag differs.
                    let otherKey = Secrets.bytes(32, "aead other key")
                    try Expect.fails("open under another key") { () throws(CryptoError) in
                        _ = try ChaChaPoly.open(sealed, key: otherKey, nonce: nonce, authenticating: aad)
                    }
                }
            },
        ]
    }

    /// Seals a secret plaintext of each length of `path` under a secret key
    /// and hands the result to `body`.
    private static func forEachSealed(
        _ path: CodePath,
        _ body: (_ sealed: [UInt8], _ length: Int, _ key: [UInt8], _ nonce: [UInt8], _ aad: [UInt8]) throws(CheckFailure) -> Void
    ) throws(CheckFailure) {
        let key = Secrets.bytes(32, "aead key")
        let nonce = Secrets.publicBytes(12, "aead nonce")
        for length in path.lengths {
            for aad in path.aadLengths.map({ Secrets.publicBytes($0, "aead aad \($0)") }) {
                let plaintext = Secrets.bytes(length, "aead plaintext \(length)")
                let sealed = try Expect.succeeds("seal of \(length) bytes") { () throws(CryptoError) in
                    try ChaChaPoly.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
                }
                try body(sealed, length, key, nonce, aad)
            }
        }
    }

    static let constantTime = [
        Check("constant-time/equals") { () throws(CheckFailure) in
            let tag = Secrets.bytes(16, "tag")
            for (index, difference) in [(0, 1), (7, 0x80), (15, 0xff)] as [(Int, UInt8)] {
                var other = Secrets.publicBytes(16, "tag")
                other[index] ^= difference
                try Expect.isTrue(!ConstantTime.equals(tag, Secrets.poisoned(other)), "tags differing at byte \(index) compare unequal")
            }
            try Expect.isTrue(ConstantTime.equals(tag, Secrets.bytes(16, "tag")), "equal tags compare equal")
            try Expect.isTrue(!ConstantTime.isAllZero(tag), "a random tag is not all zero")
            try Expect.isTrue(ConstantTime.isAllZero(Secrets.poisoned([UInt8](repeating: 0, count: 32))), "zeros are all zero")
        },
    ]
}
