import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct HKDFSHA256Tests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let inputKeyMaterial: [UInt8]
        let salt: [UInt8]
        let info: [UInt8]
        let prk: [UInt8]
        let okm: [UInt8]
        var testDescription: String { name }
    }

    /// RFC 5869 appendix A.1-A.3 (the SHA-256 cases). Verified with Python:
    /// cryptography's HKDF(hashes.SHA256(), L, salt or None, info).derive(ikm)
    /// (an empty salt means HashLen zero bytes, RFC 5869 section 2.2).
    static let vectors: [Vector] = [
        Vector(
            name: "RFC 5869 A.1",
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22),
            salt: [UInt8](0x00...0x0c),
            info: [UInt8](0xf0...0xf9),
            prk: [UInt8](hex: "077709362c2e32df0ddc3f0dc47bba63 90b6c73bb50f9c3122ec844ad7c2b3e5"),
            okm: [UInt8](hex: """
                3cb25f25faacd57a90434f64d0362f2a
                2d2d0a90cf1a5a4c5db02d56ecc4c5bf
                34007208d5b887185865
                """)
        ),
        Vector(
            name: "RFC 5869 A.2",
            inputKeyMaterial: [UInt8](0x00...0x4f),
            salt: [UInt8](0x60...0xaf),
            info: [UInt8](0xb0...0xff),
            prk: [UInt8](hex: "06a6b88c5853361a06104c9ceb35b45c ef760014904671014a193f40c15fc244"),
            okm: [UInt8](hex: """
                b11e398dc80327a1c8e7f78c596a4934
                4f012eda2d4efad8a050cc4c19afa97c
                59045a99cac7827271cb41c65e590e09
                da3275600c2f09b8367793a9aca3db71
                cc30c58179ec3e87c14c01d5c1f3434f
                1d87
                """)
        ),
        Vector(
            name: "RFC 5869 A.3",
            inputKeyMaterial: [UInt8](repeating: 0x0b, count: 22),
            salt: [],
            info: [],
            prk: [UInt8](hex: "19ef24a32c717b167f33a91d6f648bdf 96596776afdb6377ac434c1c293ccb04"),
            okm: [UInt8](hex: """
                8da4e775a563c18f715f802a063c5a31
                b8a11f5c5ee1879ec3454e5f3c738d2d
                9d201395faa4b61a96c8
                """)
        ),
    ]

    @Test(arguments: HKDFSHA256Tests.vectors)
    func rfc5869AppendixAOutputKeyingMaterial(_ vector: Vector) throws {
        let okm = try HKDFSHA256.deriveKey(
            inputKeyMaterial: vector.inputKeyMaterial,
            salt: vector.salt,
            info: vector.info,
            outputByteCount: vector.okm.count
        )
        #expect(okm.hex == vector.okm.hex)
    }

    /// RFC 5869 appendix A.1-A.3: the published PRK of the extract step.
    @Test(arguments: HKDFSHA256Tests.vectors)
    func rfc5869AppendixAPseudorandomKey(_ vector: Vector) {
        let prk = HKDFSHA256.extract(inputKeyMaterial: vector.inputKeyMaterial, salt: vector.salt)
        #expect(prk.hex == vector.prk.hex)
    }

    /// RFC 5869 section 2.3: L <= 255*HashLen. The maximum, 8160 bytes, is
    /// allowed; with the A.1 inputs its SHA-256 fingerprint was computed with
    /// Python: hashlib.sha256(HKDF(hashes.SHA256(), 8160, salt, info).derive(ikm)).
    @Test func maximumOutputOf255BlocksIsDerived() throws {
        let vector = Self.vectors[0]
        let okm = try HKDFSHA256.deriveKey(
            inputKeyMaterial: vector.inputKeyMaterial,
            salt: vector.salt,
            info: vector.info,
            outputByteCount: 255 * 32
        )
        #expect(okm.count == 255 * 32)
        #expect(Array(okm.prefix(vector.okm.count)) == vector.okm)
        #expect(SHA256.hash(okm).hex == "06ce7419405a88a66ba5c9795579cb05130c85101924d187552a0f7f57deb091")
    }

    @Test func outputLongerThan255BlocksThrows() {
        #expect(throws: CryptoError.self) {
            try HKDFSHA256.deriveKey(inputKeyMaterial: [1, 2, 3], salt: [], info: [], outputByteCount: 255 * 32 + 1)
        }
    }

    @Test(arguments: [-1, -32, -255 * 32])
    func negativeOutputLengthThrows(_ length: Int) {
        #expect(throws: CryptoError.self) {
            try HKDFSHA256.deriveKey(inputKeyMaterial: [1, 2, 3], salt: [], info: [], outputByteCount: length)
        }
    }

    /// HKDF-Expand output is a prefix-stable stream: asking for fewer bytes
    /// gives a prefix of a longer request, across the 32-byte block edges.
    @Test func shorterOutputsArePrefixesOfLongerOnes() throws {
        let vector = Self.vectors[1]
        let long = try HKDFSHA256.deriveKey(
            inputKeyMaterial: vector.inputKeyMaterial, salt: vector.salt, info: vector.info, outputByteCount: 200)
        for length in [1, 31, 32, 33, 63, 64, 65, 82, 199] {
            let short = try HKDFSHA256.deriveKey(
                inputKeyMaterial: vector.inputKeyMaterial, salt: vector.salt, info: vector.info, outputByteCount: length)
            #expect(short == Array(long.prefix(length)), "length \(length)")
        }
    }
}
