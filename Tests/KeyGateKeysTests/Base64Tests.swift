@testable import KeyGateKeys
import Testing

struct Base64Tests {
    /// RFC 4648 section 10 test vectors: (input, padded encoding).
    static let rfc4648Vectors: [(String, String)] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ]

    @Test(arguments: rfc4648Vectors)
    func encodesRFC4648Vector(input: String, encoded: String) {
        #expect(Base64.encode(Array(input.utf8)) == encoded)
        #expect(Base64.encode(Array(input.utf8), padded: false) == encoded.filter { $0 != "=" })
    }

    @Test(arguments: rfc4648Vectors)
    func decodesRFC4648VectorPaddedAndUnpadded(input: String, encoded: String) {
        #expect(Base64.decode(encoded) == Array(input.utf8))
        #expect(Base64.decode(encoded.filter { $0 != "=" }) == Array(input.utf8))
    }

    @Test func usesTheStandardAlphabet() {
        #expect(Base64.encode([0xFB, 0xFF]) == "+/8=")
        #expect(Base64.decode("+/8=") == [0xFB, 0xFF])
        // The URL-safe alphabet is another encoding: rejected.
        #expect(Base64.decode("-_8=") == nil)
    }

    @Test(arguments: [
        "Zg=",        // padding of the wrong length
        "Zg===",      // too much padding
        "Z",          // a lone character carries 6 bits: never a whole byte
        "Zm9vY",      // ditto after a full group
        "====",       // padding only
        "Zm9=v",      // padding in the middle
        "Zg==Zg==",   // two padded strings run together
        "Zh==",       // non-zero bits after the last byte (RFC 4648 section 3.5)
        "Zm9=",       // ditto, two bytes
        "Zm 9v",      // whitespace
        "Zm9v\n",     // a trailing newline
        "Zm9v!",      // outside the alphabet
        "Zm9vé",      // non-ASCII
    ])
    func rejectsNonCanonicalText(_ text: String) {
        #expect(Base64.decode(text) == nil)
    }

    @Test func roundTripsEveryLengthUpTo100() {
        for length in 0...100 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, padded: false)) == bytes)
        }
    }

    // MARK: The constant-time decoder and encoder

    /// The table-driven decoder KeyGate used before the decoder became
    /// constant time (it indexed a table by each secret character). The
    /// arithmetic decoder must accept and reject exactly the same texts.
    static func tableDecode(_ text: String) -> [UInt8]? {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var values = [UInt8](repeating: 0xFF, count: 256)
        for (value, character) in alphabet.enumerated() { values[Int(character)] = UInt8(value) }
        var characters = Array(text.utf8)
        if characters.count % 4 == 0, characters.last == UInt8(ascii: "=") {
            characters.removeLast()
            if characters.last == UInt8(ascii: "=") { characters.removeLast() }
        }
        guard characters.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        var accumulator: UInt32 = 0
        var bitCount = 0
        for character in characters {
            let value = values[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard accumulator == 0 else { return nil }
        return output
    }

    /// Every byte value: the arithmetic range tests give the alphabet's value
    /// for its 64 characters and "invalid" for the other 192 bytes.
    @Test func characterValuesMatchTheAlphabetForEveryByte() {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for byte in 0...255 {
            let (value, invalid) = Base64.value(of: UInt8(byte))
            if let expected = alphabet.firstIndex(of: UInt8(byte)) {
                #expect(invalid == 0 && value == UInt32(expected), "byte \(byte)")
            } else {
                #expect(invalid == 0xFF && value == 0, "byte \(byte)")
            }
        }
        for sextet in 0..<64 {
            #expect(Base64.character(of: UInt32(sextet)) == alphabet[sextet], "value \(sextet)")
            // Only the low six bits count.
            #expect(Base64.character(of: UInt32(sextet) | 0xFFC0) == alphabet[sextet], "value \(sextet) with high bits")
        }
    }

    /// Every text of up to three characters drawn from the alphabet's edges,
    /// its neighbours outside it, padding, whitespace, control and non-ASCII
    /// characters, and every text of four from a smaller set (padding
    /// lives there): the constant-time decoder agrees with the table
    /// decoder. (Kept to some 20,000 texts, so that the test does not hold
    /// a thread of the test runner for seconds.)
    @Test func acceptsAndRejectsExactlyWhatTheTableDecoderDid() {
        let characters: [String] = [
            "A", "B", "Z", "a", "z", "0", "9", "+", "/", "=", "Q",
            "@", "[", "`", "{", ".", ":", " ", "\u{0}", "\u{7F}", "\u{E9}",
        ]
        let fourCharacterSet: [String] = ["A", "B", "Q", "z", "9", "/", "=", "@", "{", "\u{E9}"]
        func texts(of length: Int, from set: [String]) -> [String] {
            (0..<length).reduce([""]) { prefixes, _ in prefixes.flatMap { prefix in set.map { prefix + $0 } } }
        }
        let all = (0...3).flatMap { texts(of: $0, from: characters) } + texts(of: 4, from: fourCharacterSet)
        for text in all {
            let decoded = Base64.decode(text)
            let expected = Self.tableDecode(text)
            #expect(decoded == expected, "\(text.debugDescription)")
            if decoded != expected { return }
        }
    }

    /// Longer texts, canonical and corrupted one character at a time: still
    /// the same verdicts as the table decoder.
    @Test func agreesWithTheTableDecoderOnCorruptedKeys() {
        let replacements: [UInt8] = [0x00, 0x20, 0x2B, 0x2F, 0x3D, 0x40, 0x41, 0x5B, 0x60, 0x7A, 0x7B, 0x7F]
        for length in [31, 32, 33, 48, 64] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 91 &+ 7) }
            for padded in [true, false] {
                let text = Array(Base64.encode(bytes, padded: padded).utf8)
                for position in text.indices {
                    for replacement in replacements {
                        var corrupted = text
                        corrupted[position] = replacement
                        let string = String(decoding: corrupted, as: UTF8.self)
                        #expect(Base64.decode(string) == Self.tableDecode(string), "\(string.debugDescription)")
                    }
                }
            }
        }
    }

    /// A substring is read in place, and gives what the same String gives.
    @Test func decodesASubstringOfALongerText() {
        let text = "x25519 Zm9vYmFy alice"
        let field = text.dropFirst(7).prefix(8)
        #expect(Base64.decode(field) == Array("foobar".utf8))
        #expect(Base64.decode(text.dropFirst(7)) == nil)
    }
}
