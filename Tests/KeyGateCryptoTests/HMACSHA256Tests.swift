import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct HMACSHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let testCase: Int
        let key: [UInt8]
        let data: [UInt8]
        /// The full 32-byte tag, or for test case 5 the 16-byte truncation
        /// that RFC 4231 publishes.
        let expected: [UInt8]
        var testDescription: String { "RFC 4231 test case \(testCase)" }
    }

    /// RFC 4231 section 4.2-4.8, HMAC-SHA-256 results of test cases 1-7.
    /// Each verified with Python's hmac.new(key, data, hashlib.sha256).
    static let vectors: [Vector] = [
        Vector(
            testCase: 1,
            key: [UInt8](repeating: 0x0b, count: 20),
            data: Array("Hi There".utf8),
            expected: [UInt8](hex: "b0344c61d8db38535ca8afceaf0bf12b 881dc200c9833da726e9376c2e32cff7")
        ),
        Vector(
            testCase: 2,
            key: Array("Jefe".utf8),
            data: Array("what do ya want for nothing?".utf8),
            expected: [UInt8](hex: "5bdcc146bf60754e6a042426089575c7 5a003f089d2739839dec58b964ec3843")
        ),
        Vector(
            testCase: 3,
            key: [UInt8](repeating: 0xaa, count: 20),
            data: [UInt8](repeating: 0xdd, count: 50),
            expected: [UInt8](hex: "773ea91e36800e46854db8ebd09181a7 2959098b3ef8c122d9635514ced565fe")
        ),
        Vector(
            testCase: 4,
            key: [UInt8](0x01...0x19),
            data: [UInt8](repeating: 0xcd, count: 50),
            expected: [UInt8](hex: "82558a389a443c0ea4cc819899f2083a 85f0faa3e578f8077a2e3ff46729665b")
        ),
        Vector(
            testCase: 5,
            key: [UInt8](repeating: 0x0c, count: 20),
            data: Array("Test With Truncation".utf8),
            expected: [UInt8](hex: "a3b6167473100ee06e0c796c2955552b")
        ),
        Vector(
            testCase: 6,
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8),
            expected: [UInt8](hex: "60e431591ee0b67f0d8a26aacbf5b77f 8e0bc6213728c5140546040f0ee37f54")
        ),
        Vector(
            testCase: 7,
            key: [UInt8](repeating: 0xaa, count: 131),
            data: Array(
                "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
            expected: [UInt8](hex: "9b09ffa71b942fcb27635fbcd5b0e944 bfdc63644f0713938a7f51535c3a35e2")
        ),
    ]

    @Test(arguments: HMACSHA256Tests.vectors)
    func rfc4231TestCases(_ vector: Vector) {
        let tag = HMACSHA256.authenticate(key: vector.key, message: vector.data)
        #expect(tag.count == 32)
        // Test case 5 (section 4.6) publishes only the leftmost 128 bits.
        #expect(Array(tag.prefix(vector.expected.count)).hex == vector.expected.hex)
    }

    /// RFC 4231 section 4.6: case 5 is the truncation case; its published
    /// value is 16 bytes and must be a prefix of the full tag.
    @Test func rfc4231TestCase5IsAPrefixOfTheFullTag() throws {
        let vector = try #require(Self.vectors.first { $0.testCase == 5 })
        #expect(vector.expected.count == 16)
        let tag = HMACSHA256.authenticate(key: vector.key, message: vector.data)
        #expect(Array(tag[..<16]) == vector.expected)
    }

    /// A key of exactly the 64-byte block size is used as is, and one byte
    /// longer is hashed first; both must differ from each other (sanity
    /// check of the key-length branch) and be deterministic.
    @Test func keysAroundTheBlockSizeAreDeterministicAndDistinct() {
        let message = Array("block size".utf8)
        let key64 = [UInt8](repeating: 0x5a, count: 64)
        let key65 = [UInt8](repeating: 0x5a, count: 65)
        let tag64 = HMACSHA256.authenticate(key: key64, message: message)
        let tag65 = HMACSHA256.authenticate(key: key65, message: message)
        #expect(tag64 == HMACSHA256.authenticate(key: key64, message: message))
        #expect(tag64 != tag65)
        #expect(tag64.hex == "572bf24ade7253a1ca2e5e132b09727fd49b070f178e33aa62fcc931f7352fae")
        #expect(tag65.hex == "698b957b12b4473698e751ee72515ad657fda2f33b174af42145ceb6c432ebbf")
    }
}
