import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct ChaChaPolyTests {
    struct KeyGenVector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let nonce: [UInt8]
        let oneTimeKey: [UInt8]
        var testDescription: String { name }
    }

    // MARK: Poly1305 key generation

    /// RFC 8439 section 2.6.2: key 80..9f, nonce 00:00:00:00:00:01:02:03:04:05:06:07.
    @Test func rfc8439Section2_6_2Poly1305KeyGeneration() throws {
        let oneTimeKey = try ChaChaPoly.poly1305KeyGen(key: Self.key80to9f, nonce: [UInt8](hex: "000000000001020304050607"))
        #expect(oneTimeKey.hex == "8ad5a08b905f81cc815040274ab29471a833b637e3fd0da508dbb8e2fdd1a646")
    }

    /// RFC 8439 appendix A.4, test vectors #1-#3 (Poly1305 key generation using ChaCha20).
    static let keyGenVectors: [KeyGenVector] = [
        KeyGenVector(
            name: "A.4 #1",
            key: [UInt8](repeating: 0x00, count: 32),
            nonce: [UInt8](repeating: 0x00, count: 12),
            oneTimeKey: [UInt8](hex: "76b8e0ada0f13d90405d6ae55386bd28 bdd219b8a08ded1aa836efcc8b770dc7")
        ),
        KeyGenVector(
            name: "A.4 #2",
            key: [UInt8](hex: "00000000000000000000000000000000 00000000000000000000000000000001"),
            nonce: [UInt8](hex: "000000000000000000000002"),
            oneTimeKey: [UInt8](hex: "ecfa254f845f647473d3cb140da9e876 06cb33066c447b87bc2666dde3fbb739")
        ),
        KeyGenVector(
            name: "A.4 #3",
            key: [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0 473917c1402b80099dca5cbc207075c0"),
            nonce: [UInt8](hex: "000000000000000000000002"),
            oneTimeKey: [UInt8](hex: "965e3bc6f9ec7ed9560808f4d229f94b 137ff275ca9b3fcbdd59deaad23310ae")
        ),
    ]

    @Test(arguments: ChaChaPolyTests.keyGenVectors)
    func rfc8439AppendixA4Poly1305KeyGeneration(_ vector: KeyGenVector) throws {
        let oneTimeKey = try ChaChaPoly.poly1305KeyGen(key: vector.key, nonce: vector.nonce)
        #expect(oneTimeKey.hex == vector.oneTimeKey.hex)
    }

    // MARK: RFC 8439 section 2.8.2 (seal)

    /// RFC 8439 section 2.8.2: nonce = 32-bit fixed-common part 07:00:00:00
    /// followed by the 64-bit IV 40:41:42:43:44:45:46:47.
    static let section2_8_2Nonce: [UInt8] = [UInt8](hex: "070000004041424344454647")
    static let section2_8_2AAD: [UInt8] = [UInt8](hex: "50515253c0c1c2c3c4c5c6c7")
    static let section2_8_2Ciphertext: [UInt8] = [UInt8](hex: """
        d31a8d34648e60db7b86afbc53ef7ec2
        a4aded51296e08fea9e2b5a736ee62d6
        3dbea45e8ca9671282fafb69da92728b
        1a71de0a9e060b2905d6a5b67ecd3b36
        92ddbd7f2d778b8c9803aee328091b58
        fab324e4fad675945585808b4831d7bc
        3ff4def08e4b7a9de576d26586cec64b
        6116
        """)
    static let section2_8_2Tag: [UInt8] = [UInt8](hex: "1ae10b594f09e26a7e902ecbd0600691")

    @Test func rfc8439Section2_8_2AEADSeal() throws {
        let sealed = try ChaChaPoly.seal(
            Self.sunscreen, key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        #expect(sealed.count == Self.sunscreen.count + 16)
        #expect(Array(sealed.prefix(Self.sunscreen.count)).hex == Self.section2_8_2Ciphertext.hex)
        #expect(Array(sealed.suffix(16)).hex == Self.section2_8_2Tag.hex)
    }

    /// RFC 8439 section 2.8.2: the one-time Poly1305 key printed there.
    @Test func rfc8439Section2_8_2OneTimeKey() throws {
        let oneTimeKey = try ChaChaPoly.poly1305KeyGen(key: Self.key80to9f, nonce: Self.section2_8_2Nonce)
        #expect(oneTimeKey.hex == "7bac2b252db447af09b67a55a4e955840ae1d6731075d9eb2a9375783ed553ff")
    }

    @Test func rfc8439Section2_8_2AEADOpen() throws {
        let plaintext = try ChaChaPoly.open(
            Self.section2_8_2Ciphertext + Self.section2_8_2Tag,
            key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        #expect(plaintext == Self.sunscreen)
    }

    // MARK: RFC 8439 appendix A.5 (open)

    static let a5Key: [UInt8] = [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0 473917c1402b80099dca5cbc207075c0")
    static let a5Nonce: [UInt8] = [UInt8](hex: "000000000102030405060708")
    static let a5AAD: [UInt8] = [UInt8](hex: "f33388860000000000004e91")
    static let a5Ciphertext: [UInt8] = [UInt8](hex: """
        64a0861575861af460f062c79be643bd
        5e805cfd345cf389f108670ac76c8cb2
        4c6cfc18755d43eea09ee94e382d26b0
        bdb7b73c321b0100d4f03b7f355894cf
        332f830e710b97ce98c8a84abd0b9481
        14ad176e008d33bd60f982b1ff37c855
        9797a06ef4f0ef61c186324e2b350638
        3606907b6a7c02b0f9f6157b53c867e4
        b9166c767b804d46a59b5216cde7a4e9
        9040c5a40433225ee282a1b0a06c523e
        af4534d7f83fa1155b0047718cbc546a
        0d072b04b3564eea1b422273f548271a
        0bb2316053fa76991955ebd63159434e
        cebb4e466dae5a1073a6727627097a10
        49e617d91d361094fa68f0ff77987130
        305beaba2eda04df997b714d6c6f2c29
        a6ad5cb4022b02709b
        """)
    static let a5Tag: [UInt8] = [UInt8](hex: "eead9d67890cbb22392336fea1851f38")
    /// Ends in "/“work in progress./”": the curly quotes are UTF-8 e2 80 9c / e2 80 9d.
    static let a5Plaintext: [UInt8] = [UInt8](hex: """
        496e7465726e65742d44726166747320
        61726520647261667420646f63756d65
        6e74732076616c696420666f72206120
        6d6178696d756d206f6620736978206d
        6f6e74687320616e64206d6179206265
        20757064617465642c207265706c6163
        65642c206f72206f62736f6c65746564
        206279206f7468657220646f63756d65
        6e747320617420616e792074696d652e
        20497420697320696e617070726f7072
        6961746520746f2075736520496e7465
        726e65742d4472616674732061732072
        65666572656e6365206d617465726961
        6c206f7220746f206369746520746865
        6d206f74686572207468616e20617320
        2fe2809c776f726b20696e2070726f67
        726573732e2fe2809d
        """)

    @Test func rfc8439AppendixA5Decryption() throws {
        let plaintext = try ChaChaPoly.open(
            Self.a5Ciphertext + Self.a5Tag, key: Self.a5Key, nonce: Self.a5Nonce, authenticating: Self.a5AAD)
        #expect(plaintext.hex == Self.a5Plaintext.hex)
        #expect(String(decoding: plaintext, as: UTF8.self).hasPrefix("Internet-Drafts are draft documents"))
    }

    /// RFC 8439 appendix A.5: the one-time key printed there.
    @Test func rfc8439AppendixA5OneTimeKey() throws {
        let oneTimeKey = try ChaChaPoly.poly1305KeyGen(key: Self.a5Key, nonce: Self.a5Nonce)
        #expect(oneTimeKey.hex == "bdf04aa95ce4de8995b14bb6a18fecaf26478f50c054f563dbc0a21e261572aa")
    }

    /// Sealing the A.5 plaintext reproduces the received ciphertext and tag.
    @Test func rfc8439AppendixA5SealReproducesCiphertextAndTag() throws {
        let sealed = try ChaChaPoly.seal(Self.a5Plaintext, key: Self.a5Key, nonce: Self.a5Nonce, authenticating: Self.a5AAD)
        #expect(sealed.hex == (Self.a5Ciphertext + Self.a5Tag).hex)
    }

    // MARK: Tampering (RFC 8439 section 2.8.2 vector)

    /// Flipping any single bit of the ciphertext or the tag makes open throw.
    @Test func flippingAnyBitOfCiphertextOrTagFailsAuthentication() {
        let sealed = Self.section2_8_2Ciphertext + Self.section2_8_2Tag
        for index in sealed.indices {
            for bit in 0..<8 {
                var tampered = sealed
                tampered[index] ^= UInt8(1) << bit
                #expect(throws: CryptoError.self, "byte \(index) bit \(bit)") {
                    try ChaChaPoly.open(
                        tampered, key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
                }
            }
        }
    }

    /// Flipping any single bit of the nonce makes open throw.
    @Test func flippingAnyBitOfNonceFailsAuthentication() {
        let sealed = Self.section2_8_2Ciphertext + Self.section2_8_2Tag
        for index in Self.section2_8_2Nonce.indices {
            for bit in 0..<8 {
                var nonce = Self.section2_8_2Nonce
                nonce[index] ^= UInt8(1) << bit
                #expect(throws: CryptoError.self, "byte \(index) bit \(bit)") {
                    try ChaChaPoly.open(sealed, key: Self.key80to9f, nonce: nonce, authenticating: Self.section2_8_2AAD)
                }
            }
        }
    }

    /// Flipping any single bit of the AAD makes open throw.
    @Test func flippingAnyBitOfAADFailsAuthentication() {
        let sealed = Self.section2_8_2Ciphertext + Self.section2_8_2Tag
        for index in Self.section2_8_2AAD.indices {
            for bit in 0..<8 {
                var aad = Self.section2_8_2AAD
                aad[index] ^= UInt8(1) << bit
                #expect(throws: CryptoError.self, "byte \(index) bit \(bit)") {
                    try ChaChaPoly.open(sealed, key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: aad)
                }
            }
        }
    }

    /// Changing the length of the AAD or of the sealed box (appending a zero
    /// byte, dropping the last byte) also makes open throw.
    @Test func changingAADOrSealedLengthFailsAuthentication() {
        let sealed = Self.section2_8_2Ciphertext + Self.section2_8_2Tag
        let key = Self.key80to9f
        let nonce = Self.section2_8_2Nonce
        let aad = Self.section2_8_2AAD
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: aad + [0]) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: Array(aad.dropLast())) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: []) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(sealed + [0], key: key, nonce: nonce, authenticating: aad) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(Array(sealed.dropLast()), key: key, nonce: nonce, authenticating: aad) }
        #expect(throws: CryptoError.self) { try ChaChaPoly.open(Array(sealed.dropFirst()), key: key, nonce: nonce, authenticating: aad) }
    }

    @Test func wrongKeyFailsAuthentication() {
        var key = Self.key80to9f
        key[31] ^= 0x80
        #expect(throws: CryptoError.self) {
            try ChaChaPoly.open(
                Self.section2_8_2Ciphertext + Self.section2_8_2Tag,
                key: key, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        }
    }

    // MARK: Argument validation

    @Test(arguments: [0, 16, 31, 33, 64])
    func wrongKeySizeThrows(_ size: Int) {
        let key = [UInt8](repeating: 9, count: size)
        let nonce = [UInt8](repeating: 0, count: 12)
        #expect(throws: CryptoError.self) { try ChaChaPoly.seal([1, 2, 3], key: key, nonce: nonce, authenticating: []) }
        #expect(throws: CryptoError.self) {
            try ChaChaPoly.open([UInt8](repeating: 0, count: 19), key: key, nonce: nonce, authenticating: [])
        }
        #expect(throws: CryptoError.self) { try ChaChaPoly.poly1305KeyGen(key: key, nonce: nonce) }
    }

    @Test(arguments: [0, 8, 11, 13, 16, 24])
    func wrongNonceSizeThrows(_ size: Int) {
        let key = [UInt8](repeating: 9, count: 32)
        let nonce = [UInt8](repeating: 0, count: size)
        #expect(throws: CryptoError.self) { try ChaChaPoly.seal([1, 2, 3], key: key, nonce: nonce, authenticating: []) }
        #expect(throws: CryptoError.self) {
            try ChaChaPoly.open([UInt8](repeating: 0, count: 19), key: key, nonce: nonce, authenticating: [])
        }
        #expect(throws: CryptoError.self) { try ChaChaPoly.poly1305KeyGen(key: key, nonce: nonce) }
    }

    /// A sealed box holds at least the 16-byte tag.
    @Test(arguments: 0..<16)
    func sealedShorterThanTagThrows(_ length: Int) {
        #expect(throws: CryptoError.self) {
            try ChaChaPoly.open(
                Array(Self.section2_8_2Tag.prefix(length)),
                key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        }
    }

    /// Sealing an empty plaintext gives just a tag, which opens to empty.
    @Test func emptyPlaintextRoundTrips() throws {
        let sealed = try ChaChaPoly.seal([], key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        #expect(sealed.count == 16)
        let opened = try ChaChaPoly.open(sealed, key: Self.key80to9f, nonce: Self.section2_8_2Nonce, authenticating: Self.section2_8_2AAD)
        #expect(opened.isEmpty)
    }

    // MARK: Round trips

    /// Random plaintexts of every size 0..<300 plus 65519, with random AAD:
    /// seal is ChaCha20 from counter 1 followed by the Poly1305 tag over
    /// aad | pad16 | ciphertext | pad16 | len(aad) | len(ciphertext) (RFC 8439
    /// section 2.8), and open returns the plaintext.
    @Test(arguments: Array(0..<300) + [65519])
    func roundTripAndConstruction(_ length: Int) throws {
        let key = Self.randomBytes(32)
        let nonce = Self.randomBytes(12)
        let aad = Self.randomBytes(Int.random(in: 0..<40))
        let plaintext = Self.randomBytes(length)

        let sealed = try ChaChaPoly.seal(plaintext, key: key, nonce: nonce, authenticating: aad)
        #expect(sealed.count == length + 16)

        let ciphertext = Array(sealed.prefix(length))
        let expectedCiphertext = try ChaCha20.encrypt(plaintext, key: key, nonce: nonce, counter: 1)
        #expect(ciphertext == expectedCiphertext)
        var macData = aad + [UInt8](repeating: 0, count: (16 - aad.count % 16) % 16)
        macData += ciphertext + [UInt8](repeating: 0, count: (16 - ciphertext.count % 16) % 16)
        macData += Self.littleEndian64(aad.count) + Self.littleEndian64(ciphertext.count)
        let oneTimeKey = try ChaChaPoly.poly1305KeyGen(key: key, nonce: nonce)
        let expectedTag = try Poly1305.authenticate(message: macData, key: oneTimeKey)
        #expect(Array(sealed.suffix(16)) == expectedTag)

        let opened = try ChaChaPoly.open(sealed, key: key, nonce: nonce, authenticating: aad)
        #expect(opened == plaintext)
    }

    // MARK: Fixtures

    static let key80to9f: [UInt8] = [UInt8](0x80...0x9f)

    /// RFC 8439 section 2.8.2 plaintext (the section 2.4.2 sunscreen text).
    static let sunscreen: [UInt8] = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }

    static func littleEndian64(_ value: Int) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: UInt64(value) >> (8 * UInt64($0))) }
    }
}
