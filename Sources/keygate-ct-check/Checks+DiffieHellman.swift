import KeyGateCrypto

/// X25519 (the ladder and the fixed-base public key) and FFDHE over the
/// three RFC 7919 groups (modular exponentiation: the window table lookup,
/// Montgomery multiplication and reduction), with secret private keys.
extension Checks {
    static let diffieHellman: [Check] = [paths] + x25519 + FFDHEGroup.all.flatMap(ffdhe)

    /// The DH primitives run the code this run is meant to check (CodePaths.diffieHellman).
    static let paths = Check("diffie-hellman/code paths") { () throws(CheckFailure) in
        for (primitive, expected) in CodePaths.diffieHellman {
            let actual = CryptoImplementation.paths.first { $0.primitive == primitive }?.path
            try Expect.isTrue(actual == expected, "\(primitive) takes the \(actual ?? "no") path, expected \(expected)")
        }
    }

    static let x25519 = [
        Check("x25519/public key (fixed base)") { () throws(CheckFailure) in
            for label in ["alice", "bob", "carol"] {
                let privateKey = Secrets.bytes(32, "x25519 \(label)")
                let publicKey = try Expect.succeeds("X25519 public key") { () throws(CryptoError) in
                    try X25519.publicKey(privateKey: privateKey)
                }
                // The ladder on u = 9 must agree with the table.
                var nine = [UInt8](repeating: 0, count: 32)
                nine[0] = 9
                let ladder = try Expect.succeeds("X25519(k, 9)") { () throws(CryptoError) in
                    try X25519.sharedSecret(privateKey: privateKey, publicKey: nine)
                }
                try Expect.equal(publicKey, ladder, "fixed-base and ladder public keys")
            }
        },
        Check("x25519/shared secret (ladder)") { () throws(CheckFailure) in
            let alice = Secrets.bytes(32, "x25519 alice"), bob = Secrets.bytes(32, "x25519 bob")
            let alicePublic = try Expect.succeeds("public key") { () throws(CryptoError) in try X25519.publicKey(privateKey: alice) }
            let bobPublic = try Expect.succeeds("public key") { () throws(CryptoError) in try X25519.publicKey(privateKey: bob) }
            let aliceShared = try Expect.succeeds("X25519") { () throws(CryptoError) in
                try X25519.sharedSecret(privateKey: alice, publicKey: bobPublic)
            }
            let bobShared = try Expect.succeeds("X25519") { () throws(CryptoError) in
                try X25519.sharedSecret(privateKey: bob, publicKey: alicePublic)
            }
            try Expect.equal(aliceShared, bobShared, "both sides' shared secrets")
            // A secret u-coordinate too (Noise's decrypted static key is one),
            // and the all-zero result of a low-order point (RFC 7748 section 6.1).
            let secretPoint = Secrets.poisoned(bobPublic)
            _ = try Expect.succeeds("X25519 with a secret point") { () throws(CryptoError) in
                try X25519.sharedSecret(privateKey: alice, publicKey: secretPoint)
            }
            try Expect.fails("X25519 with a low-order point") { () throws(CryptoError) in
                _ = try X25519.sharedSecret(privateKey: alice, publicKey: [UInt8](repeating: 0, count: 32))
            }
        },
    ]

    static func ffdhe(_ group: FFDHEGroup) -> [Check] {
        [
            Check("\(group.name)/public key") { () throws(CheckFailure) in
                let privateKey = Secrets.bytes(group.privateKeyByteCount, "\(group.name) alice")
                let publicKey = try Expect.succeeds("\(group.name) public key") { () throws(CryptoError) in
                    try group.publicKey(privateKey: privateKey)
                }
                try Expect.isTrue(publicKey.count == group.byteCount, "public key size")
                try Expect.fails("a zero exponent") { () throws(CryptoError) in
                    _ = try group.publicKey(privateKey: Secrets.poisoned([UInt8](repeating: 0, count: group.privateKeyByteCount)))
                }
            },
            Check("\(group.name)/shared secret") { () throws(CheckFailure) in
                let alice = Secrets.bytes(group.privateKeyByteCount, "\(group.name) alice")
                let bob = Secrets.bytes(group.privateKeyByteCount, "\(group.name) bob")
                let alicePublic = try Expect.succeeds("public key") { () throws(CryptoError) in try group.publicKey(privateKey: alice) }
                let bobPublic = try Expect.succeeds("public key") { () throws(CryptoError) in try group.publicKey(privateKey: bob) }
                let aliceShared = try Expect.succeeds("shared secret") { () throws(CryptoError) in
                    try group.sharedSecret(privateKey: alice, publicKey: bobPublic)
                }
                // The peer's value secret too: in Noise it arrives encrypted.
                let bobShared = try Expect.succeeds("shared secret") { () throws(CryptoError) in
                    try group.sharedSecret(privateKey: bob, publicKey: Secrets.poisoned(alicePublic))
                }
                try Expect.equal(aliceShared, bobShared, "both sides' shared secrets")
                var pMinusOne = group.prime
                pMinusOne[pMinusOne.count - 1] -= 1
                try Expect.fails("the public value p - 1") { () throws(CryptoError) in
                    _ = try group.sharedSecret(privateKey: alice, publicKey: Secrets.poisoned(pMinusOne))
                }
            },
        ]
    }
}
