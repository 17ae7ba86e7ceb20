import KeyGateKeys
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
}
