import KeyGateCrypto
import KeyGateKeys

/// Private key lines: base64 decoding and encoding of the key, the parse of
/// a whole `<algorithm> <base64 key> [comment]` line with its key field
/// secret, and the private key (with its public key) made from it.
extension Checks {
    static let keys = base64 + keyLines

    static let base64 = [
        Check("base64/decode") { () throws(CheckFailure) in
            for length in [1, 2, 3, 31, 32, 48, 64] {
                let bytes = Secrets.publicBytes(length, "base64 \(length)")
                for padded in [true, false] {
                    let text = Base64.encode(bytes, padded: padded)
                    guard let decoded = Base64.decode(secretText(text)) else {
                        throw CheckFailure(description: "Base64.decode rejected \(text)")
                    }
                    try Expect.equal(decoded, bytes, "decoding of \(length) bytes (padded: \(padded))")
                }
            }
            // Rejected: a character outside the alphabet, non-zero trailing
            // bits, padding inside. Rejection is public; the text is not.
            for text in ["Zm9v!AAA", "Zh==", "Zm9=", "Zm9=AAAA", "Zm9vYmFy\u{E9}A=="] {
                try Expect.isTrue(Base64.decode(secretText(text)) == nil, "Base64.decode accepted \(text)")
            }
        },
        Check("base64/encode") { () throws(CheckFailure) in
            for length in [1, 2, 3, 31, 32, 48, 64] {
                let bytes = Secrets.bytes(length, "base64 \(length)")
                for padded in [true, false] {
                    let text = Base64.encode(bytes, padded: padded)
                    let expected = Base64.encode(Secrets.publicBytes(length, "base64 \(length)"), padded: padded)
                    try Expect.equal(Array(text.utf8), Array(expected.utf8), "encoding of \(length) bytes (padded: \(padded))")
                }
            }
        },
    ]

    /// `text` as a secret: the start of a string long enough to own its
    /// storage (a short string lives inside the String value itself, where
    /// it cannot be poisoned in place).
    private static func secretText(_ text: String) -> Substring {
        var storage = text + String(repeating: " ", count: 32)
        Secrets.poison(&storage, from: 0, count: text.utf8.count)
        // The end found by byte offset: counting Characters would read the secret.
        let end = storage.utf8.index(storage.utf8.startIndex, offsetBy: text.utf8.count)
        return storage[..<end]
    }

    static let keyLines: [Check] = KeyAlgorithm.allCases.map { algorithm in
        Check("key line/\(algorithm)") { () throws(CheckFailure) in
            let secret = Secrets.publicBytes(algorithm.privateKeyByteCount, "\(algorithm) key line")
            let written = try Expect.succeeds("PrivateKey") { () throws(KeyFileError) in
                try PrivateKey(algorithm: algorithm, bytes: Secrets.poisoned(secret))
            }
            // Writing: the line's key field is the base64 of a secret.
            let line = written.line(comment: "alice at the laptop")
            let keyText = Base64.encode(secret)
            let prefix = "\(algorithm) "
            try Expect.equal(Array(line.utf8), Array((prefix + keyText + " alice at the laptop").utf8), "written line")
            // Reading: the key field secret, padded and unpadded.
            for keyField in [keyText, String(keyText.prefix { $0 != "=" })] {
                var text = prefix + keyField + "  alice at the laptop "
                Secrets.poison(&text, from: prefix.utf8.count, count: keyField.utf8.count)
                try Expect.isTrue(!KeyLine.isIgnorable(text), "a key line is not ignorable")
                let parsed = try Expect.succeeds("KeyLine(parsing:)") { () throws(KeyLineProblem) in try KeyLine(parsing: text) }
                try Expect.isTrue(parsed.algorithm == algorithm && parsed.comment == "alice at the laptop", "algorithm and comment")
                let key = try Expect.succeeds("KeyLine.privateKey()") { () throws(KeyLineProblem) in try parsed.privateKey() }
                try Expect.equal(key.secret.withUnsafeBytes { Array($0) }, secret, "parsed private key")
                try Expect.equal(key.publicKey.bytes, written.publicKey.bytes, "parsed key's public key")
            }
        }
    }
}
