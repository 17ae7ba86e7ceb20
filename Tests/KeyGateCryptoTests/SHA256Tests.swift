import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct SHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let message: [UInt8]
        let digest: [UInt8]
        var testDescription: String { name }
    }

    /// FIPS 180-4 examples (NIST CSRC "Example Values" for SHA-256):
    /// one-block, two-block and the 448/896-bit messages. Verified with
    /// Python's hashlib.sha256.
    static let fipsVectors: [Vector] = [
        Vector(
            name: "empty string",
            message: [],
            digest: [UInt8](hex: "e3b0c44298fc1c149afbf4c8996fb924 27ae41e4649b934ca495991b7852b855")
        ),
        Vector(
            name: "abc",
            message: Array("abc".utf8),
            digest: [UInt8](hex: "ba7816bf8f01cfea414140de5dae2223 b00361a396177a9cb410ff61f20015ad")
        ),
        Vector(
            name: "448-bit abcdbcde...nopq",
            message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
            digest: [UInt8](hex: "248d6a61d20638b8e5c026930c3e6039 a33ce45964ff2167f6ecedd419db06c1")
        ),
        Vector(
            name: "896-bit abcdefgh...nopqrstu",
            message: Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8),
            digest: [UInt8](hex: "cf5b16a778af8380036ce59e7b049237 0b249b11e8f07a51afac45037afee9d1")
        ),
    ]

    /// Messages of n bytes 00 01 02 ... (byte i = i mod 256) at the padding
    /// boundaries: 55 bytes is the longest message whose length fits in one
    /// block, 56 forces a second block, 119/120 the same for two blocks.
    /// Expected digests computed with Python:
    /// `hashlib.sha256(bytes(i & 0xff for i in range(n))).hexdigest()`.
    static let boundaryVectors: [BoundaryVector] = [
        BoundaryVector(length: 55, digest: "463eb28e72f82e0a96c0a4cc53690c571281131f672aa229e0d45ae59b598b59"),
        BoundaryVector(length: 56, digest: "da2ae4d6b36748f2a318f23e7ab1dfdf45acdc9d049bd80e59de82a60895f562"),
        BoundaryVector(length: 57, digest: "2fe741af801cc238602ac0ec6a7b0c3a8a87c7fc7d7f02a3fe03d1c12eac4d8f"),
        BoundaryVector(length: 63, digest: "29af2686fd53374a36b0846694cc342177e428d1647515f078784d69cdb9e488"),
        BoundaryVector(length: 64, digest: "fdeab9acf3710362bd2658cdc9a29e8f9c757fcf9811603a8c447cd1d9151108"),
        BoundaryVector(length: 65, digest: "4bfd2c8b6f1eec7a2afeb48b934ee4b2694182027e6d0fc075074f2fabb31781"),
        BoundaryVector(length: 119, digest: "da18797ed7c3a777f0847f429724a2d8cd5138e6ed2895c3fa1a6d39d18f7ec6"),
        BoundaryVector(length: 120, digest: "f52b23db1fbb6ded89ef42a23ce0c8922c45f25c50b568a93bf1c075420bbb7c"),
        BoundaryVector(length: 121, digest: "335a461692b30bba1d647cc71604e88e676c90e4c22455d0b8c83f4bd7c8ac9b"),
        BoundaryVector(length: 127, digest: "92ca0fa6651ee2f97b884b7246a562fa71250fedefe5ebf270d31c546bfea976"),
        BoundaryVector(length: 128, digest: "471fb943aa23c511f6f72f8d1652d9c880cfa392ad80503120547703e56a2be5"),
        BoundaryVector(length: 129, digest: "5099c6a56203f9687f7d33f4bfdf576d31dc91f6b695ecea38b2770c87631135"),
    ]

    struct BoundaryVector: Sendable, CustomTestStringConvertible {
        let length: Int
        let digest: String
        var testDescription: String { "\(length) bytes" }
    }

    static func counting(_ length: Int) -> [UInt8] {
        (0..<length).map { UInt8(truncatingIfNeeded: $0) }
    }

    @Test(arguments: SHA256Tests.fipsVectors)
    func fips180_4ExampleDigests(_ vector: Vector) {
        #expect(SHA256.hash(vector.message).hex == vector.digest.hex)
    }

    @Test(arguments: SHA256Tests.fipsVectors)
    func fips180_4ExampleDigestsIncrementally(_ vector: Vector) {
        var hasher = SHA256Hasher()
        for byte in vector.message {
            hasher.update([byte])
        }
        #expect(hasher.finalize().hex == vector.digest.hex)
    }

    /// FIPS 180-4 example: one million repetitions of "a".
    @Test func fips180_4OneMillionAs() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        #expect(SHA256.hash(message).hex == expected)
    }

    /// The same million "a" fed in uneven chunks (1, 7, 64, 1000 bytes ...),
    /// so chunk edges fall everywhere relative to the 64-byte blocks.
    @Test func oneMillionAsInUnevenChunksMatchesFIPSDigest() {
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        let chunkSizes = [1, 7, 63, 64, 65, 1000, 4096, 127]
        var hasher = SHA256Hasher()
        var remaining = 1_000_000
        var index = 0
        while remaining > 0 {
            let size = min(chunkSizes[index % chunkSizes.count], remaining)
            hasher.update([UInt8](repeating: UInt8(ascii: "a"), count: size))
            remaining -= size
            index += 1
        }
        #expect(hasher.finalize().hex == expected)
    }

    @Test(arguments: SHA256Tests.boundaryVectors)
    func paddingBoundaryLengthsMatchPythonDigests(_ vector: BoundaryVector) {
        let message = Self.counting(vector.length)
        #expect(SHA256.hash(message).hex == vector.digest)
        var hasher = SHA256Hasher()
        hasher.update(message)
        #expect(hasher.finalize().hex == vector.digest)
    }

    /// For every length 0...200 and every split point, hashing the two
    /// halves incrementally equals the one-shot digest.
    @Test func incrementalTwoPartHashingEqualsOneShotAtEverySplitPoint() {
        var mismatches: [String] = []
        for length in 0...200 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            let expected = SHA256.hash(message)
            for split in 0...length {
                var hasher = SHA256Hasher()
                hasher.update(Array(message[..<split]))
                hasher.update(Array(message[split...]))
                if hasher.finalize() != expected { mismatches.append("length \(length), split at \(split)") }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
    }

    /// Byte-at-a-time updates, with empty updates interleaved, equal the
    /// one-shot digest for every length 0...200.
    @Test func byteAtATimeWithEmptyUpdatesEqualsOneShot() {
        for length in 0...200 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ 17) }
            var hasher = SHA256Hasher()
            hasher.update([])
            for byte in message {
                hasher.update([byte])
                hasher.update([])
            }
            #expect(hasher.finalize() == SHA256.hash(message), "length \(length)")
        }
    }

    @Test func digestIsThirtyTwoBytes() {
        #expect(SHA256.hash([]).count == 32)
        var hasher = SHA256Hasher()
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize().count == 32)
    }
}
