import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct Poly1305Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let message: [UInt8]
        let tag: [UInt8]
        var testDescription: String { name }
    }

    /// RFC 8439 section 2.5.2: key material 85:d6:...:f5:1b and the message
    /// "Cryptographic Forum Research Group".
    @Test func rfc8439Section2_5_2Example() throws {
        let key = [UInt8](hex: "85d6be7857556d337f4452fe42d506a8 0103808afb0db2fd4abff6af4149f51b")
        let message = Array("Cryptographic Forum Research Group".utf8)
        let tag = try Poly1305.authenticate(message: message, key: key)
        #expect(tag.hex == "a8061dc1305136c6c22b8baf0c0127a9")
    }

    /// RFC 8439 appendix A.3, test vectors #1-#11. For #5-#11 the RFC prints
    /// R and S separately; the one-time key is R || S. #5-#11 target limb
    /// carries and the final reduction modulo 2^130-5 in partial-reduction
    /// implementations. Verified with cryptography's Poly1305.generate_tag
    /// and a direct big-integer evaluation in Python.
    static let vectors: [Vector] = [
        Vector(
            name: "A.3 #1",
            key: [UInt8](repeating: 0x00, count: 32),
            message: [UInt8](repeating: 0x00, count: 64),
            tag: [UInt8](hex: "00000000000000000000000000000000")
        ),
        Vector(
            name: "A.3 #2",
            key: [UInt8](hex: "00000000000000000000000000000000 36e5f6b5c5e06070f0efca96227a863e"),
            message: RFC8439Text.ietfContribution,
            tag: [UInt8](hex: "36e5f6b5c5e06070f0efca96227a863e")
        ),
        Vector(
            name: "A.3 #3",
            key: [UInt8](hex: "36e5f6b5c5e06070f0efca96227a863e 00000000000000000000000000000000"),
            message: RFC8439Text.ietfContribution,
            tag: [UInt8](hex: "f3477e7cd95417af89a6b8794c310cf0")
        ),
        Vector(
            name: "A.3 #4",
            key: [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0 473917c1402b80099dca5cbc207075c0"),
            message: [UInt8](hex: """
                2754776173206272696c6c69672c2061
                6e642074686520736c6974687920746f
                7665730a446964206779726520616e64
                2067696d626c6520696e207468652077
                6162653a0a416c6c206d696d73792077
                6572652074686520626f726f676f7665
                732c0a416e6420746865206d6f6d6520
                7261746873206f757467726162652e
                """),
            tag: [UInt8](hex: "4541669a7eaaee61e708dc7cbcc5eb62")
        ),
        Vector(
            name: "A.3 #5",
            key: [UInt8](hex: "02000000000000000000000000000000 00000000000000000000000000000000"),
            message: [UInt8](repeating: 0xff, count: 16),
            tag: [UInt8](hex: "03000000000000000000000000000000")
        ),
        Vector(
            name: "A.3 #6",
            key: [UInt8](hex: "02000000000000000000000000000000 ffffffffffffffffffffffffffffffff"),
            message: [UInt8](hex: "02000000000000000000000000000000"),
            tag: [UInt8](hex: "03000000000000000000000000000000")
        ),
        Vector(
            name: "A.3 #7",
            key: [UInt8](hex: "01000000000000000000000000000000 00000000000000000000000000000000"),
            message: [UInt8](hex: """
                ffffffffffffffffffffffffffffffff
                f0ffffffffffffffffffffffffffffff
                11000000000000000000000000000000
                """),
            tag: [UInt8](hex: "05000000000000000000000000000000")
        ),
        Vector(
            name: "A.3 #8",
            key: [UInt8](hex: "01000000000000000000000000000000 00000000000000000000000000000000"),
            message: [UInt8](hex: """
                ffffffffffffffffffffffffffffffff
                fbfefefefefefefefefefefefefefefe
                01010101010101010101010101010101
                """),
            tag: [UInt8](hex: "00000000000000000000000000000000")
        ),
        Vector(
            name: "A.3 #9",
            key: [UInt8](hex: "02000000000000000000000000000000 00000000000000000000000000000000"),
            message: [UInt8](hex: "fdffffffffffffffffffffffffffffff"),
            tag: [UInt8](hex: "faffffffffffffffffffffffffffffff")
        ),
        Vector(
            name: "A.3 #10",
            key: [UInt8](hex: "01000000000000000400000000000000 00000000000000000000000000000000"),
            message: [UInt8](hex: """
                e33594d7505e43b90000000000000000
                3394d7505e4379cd0100000000000000
                00000000000000000000000000000000
                01000000000000000000000000000000
                """),
            tag: [UInt8](hex: "14000000000000005500000000000000")
        ),
        Vector(
            name: "A.3 #11",
            key: [UInt8](hex: "01000000000000000400000000000000 00000000000000000000000000000000"),
            message: [UInt8](hex: """
                e33594d7505e43b90000000000000000
                3394d7505e4379cd0100000000000000
                00000000000000000000000000000000
                """),
            tag: [UInt8](hex: "13000000000000000000000000000000")
        ),
    ]

    @Test(arguments: Poly1305Tests.vectors)
    func rfc8439AppendixA3(_ vector: Vector) throws {
        let tag = try Poly1305.authenticate(message: vector.message, key: vector.key)
        #expect(tag.hex == vector.tag.hex)
    }

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongKeySizeThrows(_ size: Int) {
        #expect(throws: CryptoError.self) {
            try Poly1305.authenticate(message: [1, 2, 3], key: [UInt8](repeating: 7, count: size))
        }
    }

    /// Messages of every length 0...80 give 16-byte tags, and changing the
    /// last byte of the message changes the tag (partial final block handled).
    @Test func everyShortLengthProducesADistinctSixteenByteTag() throws {
        let key = [UInt8](hex: "85d6be7857556d337f4452fe42d506a8 0103808afb0db2fd4abff6af4149f51b")
        for length in 0...80 {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let tag = try Poly1305.authenticate(message: message, key: key)
            #expect(tag.count == 16)
            if length > 0 {
                var changed = message
                changed[length - 1] ^= 0x01
                let changedTag = try Poly1305.authenticate(message: changed, key: key)
                #expect(changedTag != tag, "length \(length)")
            }
        }
    }
}
