import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

struct ChaCha20Tests {
    struct BlockVector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let nonce: [UInt8]
        let counter: UInt32
        let keystream: [UInt8]
        var testDescription: String { name }
    }

    struct EncryptionVector: Sendable, CustomTestStringConvertible {
        let name: String
        let key: [UInt8]
        let nonce: [UInt8]
        let counter: UInt32
        let plaintext: [UInt8]
        let ciphertext: [UInt8]
        var testDescription: String { name }
    }

    // MARK: RFC 8439 section 2

    /// RFC 8439 section 2.1.1: test vector for the quarter round.
    @Test func rfc8439Section2_1_1QuarterRound() {
        let (a, b, c, d) = ChaCha20.quarterRound(0x1111_1111, 0x0102_0304, 0x9b8d_6f43, 0x0123_4567)
        #expect(a == 0xea2a_92f4)
        #expect(b == 0xcb1c_f8ce)
        #expect(c == 0x4581_472e)
        #expect(d == 0x5881_c4bb)
    }

    /// RFC 8439 section 2.2.1: QUARTERROUND(2, 7, 8, 13) applied to the
    /// sample state changes words 2, 7, 8 and 13 to the printed values.
    @Test func rfc8439Section2_2_1QuarterRoundOnTheSampleState() {
        let (a, b, c, d) = ChaCha20.quarterRound(0x5164_61b1, 0x2a5f_714c, 0x5337_2767, 0x3d63_1689)
        #expect(a == 0xbdb8_86dc)
        #expect(b == 0xcfac_afd2)
        #expect(c == 0xe46b_ea80)
        #expect(d == 0xccc0_7c79)
    }

    /// RFC 8439 section 2.3.2: key 00..1f, nonce 00:00:00:09:00:00:00:4a:00:00:00:00,
    /// block count 1; the serialized block.
    @Test func rfc8439Section2_3_2BlockFunction() throws {
        let block = try ChaCha20.block(key: Self.key00to1f, counter: 1, nonce: [UInt8](hex: "000000090000004a00000000"))
        let expected = [UInt8](hex: """
            10f1e7e4d13b5915500fdd1fa32071c4
            c7d1f4c733c068030422aa9ac3d46c4e
            d2826446079faa0914c2d705d98b02a2
            b5129cd1de164eb9cbd083e8a2503c4e
            """)
        #expect(block.hex == expected.hex)
    }

    /// RFC 8439 section 2.4.2: the "Ladies and Gentlemen" sunscreen text,
    /// key 00..1f, nonce 00:00:00:00:00:00:00:4a:00:00:00:00, initial counter 1.
    @Test func rfc8439Section2_4_2EncryptSunscreen() throws {
        let nonce = [UInt8](hex: "000000000000004a00000000")
        let ciphertext = try ChaCha20.encrypt(Self.sunscreen, key: Self.key00to1f, nonce: nonce, counter: 1)
        let expected = [UInt8](hex: """
            6e2e359a2568f98041ba0728dd0d6981
            e97e7aec1d4360c20a27afccfd9fae0b
            f91b65c5524733ab8f593dabcd62b357
            1639d624e65152ab8f530c359f0861d8
            07ca0dbf500d6a6156a38e088a22b65e
            52bc514d16ccf806818ce91ab7793736
            5af90bbf74a35be6b40b8eedf2785e42
            874d
            """)
        #expect(ciphertext.hex == expected.hex)
        // Decryption is the same operation.
        let decrypted = try ChaCha20.encrypt(ciphertext, key: Self.key00to1f, nonce: nonce, counter: 1)
        #expect(decrypted == Self.sunscreen)
    }

    /// RFC 8439 section 2.4.2: the 114-byte keystream printed in the RFC,
    /// obtained by encrypting zeros.
    @Test func rfc8439Section2_4_2Keystream() throws {
        let nonce = [UInt8](hex: "000000000000004a00000000")
        let keystream = try ChaCha20.encrypt([UInt8](repeating: 0, count: 114), key: Self.key00to1f, nonce: nonce, counter: 1)
        let expected = [UInt8](hex: """
            224f51f3401bd9e12fde276fb8631ded
            8c131f823d2c06e27e4fcaec9ef3cf78
            8a3b0aa372600a92b57974cded2b9334
            794cba40c63e34cdea212c4cf07d41b7
            69a6749f3f630f4122cafe28ec4dc47e
            26d4346d70b98c73f3e9c53ac40c5945
            398b6eda1a832c89c167eacd901d7e2b
            f363
            """)
        #expect(keystream.hex == expected.hex)
    }

    // MARK: RFC 8439 appendix A.1 and A.2

    /// RFC 8439 appendix A.1, test vectors #1-#5 (ChaCha20 block function).
    static let blockVectors: [BlockVector] = [
        BlockVector(
            name: "A.1 #1",
            key: [UInt8](repeating: 0x00, count: 32),
            nonce: [UInt8](repeating: 0x00, count: 12),
            counter: 0,
            keystream: [UInt8](hex: """
                76b8e0ada0f13d90405d6ae55386bd28
                bdd219b8a08ded1aa836efcc8b770dc7
                da41597c5157488d7724e03fb8d84a37
                6a43b8f41518a11cc387b669b2ee6586
                """)
        ),
        BlockVector(
            name: "A.1 #2",
            key: [UInt8](repeating: 0x00, count: 32),
            nonce: [UInt8](repeating: 0x00, count: 12),
            counter: 1,
            keystream: [UInt8](hex: """
                9f07e7be5551387a98ba977c732d080d
                cb0f29a048e3656912c6533e32ee7aed
                29b721769ce64e43d57133b074d839d5
                31ed1f28510afb45ace10a1f4b794d6f
                """)
        ),
        BlockVector(
            name: "A.1 #3",
            key: [UInt8](hex: "00000000000000000000000000000000 00000000000000000000000000000001"),
            nonce: [UInt8](repeating: 0x00, count: 12),
            counter: 1,
            keystream: [UInt8](hex: """
                3aeb5224ecf849929b9d828db1ced4dd
                832025e8018b8160b82284f3c949aa5a
                8eca00bbb4a73bdad192b5c42f73f2fd
                4e273644c8b36125a64addeb006c13a0
                """)
        ),
        BlockVector(
            name: "A.1 #4",
            key: [UInt8](hex: "00ff0000000000000000000000000000 00000000000000000000000000000000"),
            nonce: [UInt8](repeating: 0x00, count: 12),
            counter: 2,
            keystream: [UInt8](hex: """
                72d54dfbf12ec44b362692df94137f32
                8fea8da73990265ec1bbbea1ae9af0ca
                13b25aa26cb4a648cb9b9d1be65b2c09
                24a66c54d545ec1b7374f4872e99f096
                """)
        ),
        BlockVector(
            name: "A.1 #5",
            key: [UInt8](repeating: 0x00, count: 32),
            nonce: [UInt8](hex: "000000000000000000000002"),
            counter: 0,
            keystream: [UInt8](hex: """
                c2c64d378cd536374ae204b9ef933fcd
                1a8b2288b3dfa49672ab765b54ee27c7
                8a970e0e955c14f3a88e741b97c286f7
                5f8fc299e8148362fa198a39531bed6d
                """)
        ),
    ]

    @Test(arguments: ChaCha20Tests.blockVectors)
    func rfc8439AppendixA1BlockFunction(_ vector: BlockVector) throws {
        let block = try ChaCha20.block(key: vector.key, counter: vector.counter, nonce: vector.nonce)
        #expect(block.hex == vector.keystream.hex)
    }

    /// RFC 8439 appendix A.1 again, through encrypt: encrypting 64 zero
    /// bytes starting at the vector's counter yields the same keystream.
    @Test(arguments: ChaCha20Tests.blockVectors)
    func rfc8439AppendixA1KeystreamThroughEncrypt(_ vector: BlockVector) throws {
        let keystream = try ChaCha20.encrypt(
            [UInt8](repeating: 0, count: 64), key: vector.key, nonce: vector.nonce, counter: vector.counter)
        #expect(keystream.hex == vector.keystream.hex)
    }

    /// RFC 8439 appendix A.2, test vectors #1-#3 (ChaCha20 encryption).
    static let encryptionVectors: [EncryptionVector] = [
        EncryptionVector(
            name: "A.2 #1",
            key: [UInt8](repeating: 0x00, count: 32),
            nonce: [UInt8](repeating: 0x00, count: 12),
            counter: 0,
            plaintext: [UInt8](repeating: 0x00, count: 64),
            ciphertext: [UInt8](hex: """
                76b8e0ada0f13d90405d6ae55386bd28
                bdd219b8a08ded1aa836efcc8b770dc7
                da41597c5157488d7724e03fb8d84a37
                6a43b8f41518a11cc387b669b2ee6586
                """)
        ),
        EncryptionVector(
            name: "A.2 #2",
            key: [UInt8](hex: "00000000000000000000000000000000 00000000000000000000000000000001"),
            nonce: [UInt8](hex: "000000000000000000000002"),
            counter: 1,
            plaintext: RFC8439Text.ietfContribution,
            ciphertext: [UInt8](hex: """
                a3fbf07df3fa2fde4f376ca23e827370
                41605d9f4f4f57bd8cff2c1d4b7955ec
                2a97948bd3722915c8f3d337f7d37005
                0e9e96d647b7c39f56e031ca5eb6250d
                4042e02785ececfa4b4bb5e8ead0440e
                20b6e8db09d881a7c6132f420e527950
                42bdfa7773d8a9051447b3291ce1411c
                680465552aa6c405b7764d5e87bea85a
                d00f8449ed8f72d0d662ab052691ca66
                424bc86d2df80ea41f43abf937d3259d
                c4b2d0dfb48a6c9139ddd7f76966e928
                e635553ba76c5c879d7b35d49eb2e62b
                0871cdac638939e25e8a1e0ef9d5280f
                a8ca328b351c3c765989cbcf3daa8b6c
                cc3aaf9f3979c92b3720fc88dc95ed84
                a1be059c6499b9fda236e7e818b04b0b
                c39c1e876b193bfe5569753f88128cc0
                8aaa9b63d1a16f80ef2554d7189c411f
                5869ca52c5b83fa36ff216b9c1d30062
                bebcfd2dc5bce0911934fda79a86f6e6
                98ced759c3ff9b6477338f3da4f9cd85
                14ea9982ccafb341b2384dd902f3d1ab
                7ac61dd29c6f21ba5b862f3730e37cfd
                c4fd806c22f221
                """)
        ),
        EncryptionVector(
            name: "A.2 #3",
            key: [UInt8](hex: "1c9240a5eb55d38af333888604f6b5f0 473917c1402b80099dca5cbc207075c0"),
            nonce: [UInt8](hex: "000000000000000000000002"),
            counter: 42,
            plaintext: [UInt8](hex: """
                2754776173206272696c6c69672c2061
                6e642074686520736c6974687920746f
                7665730a446964206779726520616e64
                2067696d626c6520696e207468652077
                6162653a0a416c6c206d696d73792077
                6572652074686520626f726f676f7665
                732c0a416e6420746865206d6f6d6520
                7261746873206f757467726162652e
                """),
            ciphertext: [UInt8](hex: """
                62e6347f95ed87a45ffae7426f27a1df
                5fb69110044c0d73118effa95b01e5cf
                166d3df2d721caf9b21e5fb14c616871
                fd84c54f9d65b283196c7fe4f60553eb
                f39c6402c42234e32a356b3e764312a6
                1a5532055716ead6962568f87d3f3f77
                04c6a8d1bcd1bf4d50d6154b6da731b1
                87b58dfd728afa36757a797ac188d1
                """)
        ),
    ]

    @Test(arguments: ChaCha20Tests.encryptionVectors)
    func rfc8439AppendixA2Encryption(_ vector: EncryptionVector) throws {
        let ciphertext = try ChaCha20.encrypt(vector.plaintext, key: vector.key, nonce: vector.nonce, counter: vector.counter)
        #expect(ciphertext.hex == vector.ciphertext.hex)
        let plaintext = try ChaCha20.encrypt(vector.ciphertext, key: vector.key, nonce: vector.nonce, counter: vector.counter)
        #expect(plaintext == vector.plaintext)
    }

    // MARK: Argument validation

    @Test(arguments: [0, 16, 31, 33, 64])
    func blockRejectsWrongKeySize(_ size: Int) {
        #expect(throws: CryptoError.self) {
            try ChaCha20.block(key: [UInt8](repeating: 1, count: size), counter: 0, nonce: [UInt8](repeating: 0, count: 12))
        }
        #expect(throws: CryptoError.self) {
            try ChaCha20.encrypt([1, 2, 3], key: [UInt8](repeating: 1, count: size), nonce: [UInt8](repeating: 0, count: 12), counter: 0)
        }
    }

    /// 8 bytes is the original DJB nonce size; RFC 8439 requires 96 bits.
    @Test(arguments: [0, 8, 11, 13, 16, 24])
    func blockRejectsWrongNonceSize(_ size: Int) {
        #expect(throws: CryptoError.self) {
            try ChaCha20.block(key: [UInt8](repeating: 1, count: 32), counter: 0, nonce: [UInt8](repeating: 0, count: size))
        }
        #expect(throws: CryptoError.self) {
            try ChaCha20.encrypt([1, 2, 3], key: [UInt8](repeating: 1, count: 32), nonce: [UInt8](repeating: 0, count: size), counter: 0)
        }
    }

    // MARK: Properties over every length

    /// For every length 0..<600 (so every tail length and up to ten blocks):
    /// encrypt equals the XOR with consecutive ChaCha20.block outputs from
    /// the starting counter, and encrypting twice is the identity.
    @Test func encryptMatchesBlockByBlockReferenceAtEveryLength() throws {
        for length in 0..<600 {
            let key = Self.randomBytes(32)
            let nonce = Self.randomBytes(12)
            let counter = UInt32.random(in: 0...1_000_000)
            let plaintext = Self.randomBytes(length)

            var reference: [UInt8] = []
            reference.reserveCapacity(length)
            var blockIndex: UInt32 = 0
            while reference.count < length {
                let keystream = try ChaCha20.block(key: key, counter: counter + blockIndex, nonce: nonce)
                for byte in keystream where reference.count < length {
                    reference.append(plaintext[reference.count] ^ byte)
                }
                blockIndex += 1
            }

            let ciphertext = try ChaCha20.encrypt(plaintext, key: key, nonce: nonce, counter: counter)
            #expect(ciphertext == reference, "length \(length)")
            let roundTrip = try ChaCha20.encrypt(ciphertext, key: key, nonce: nonce, counter: counter)
            #expect(roundTrip == plaintext, "length \(length)")
            if ciphertext != reference || roundTrip != plaintext { return }
        }
    }

    /// The keystream is a single stream: encrypting a message whole equals
    /// encrypting its 64-byte-aligned pieces with the counter advanced.
    @Test func encryptionIsSeekableByBlockCounter() throws {
        let key = Self.randomBytes(32)
        let nonce = Self.randomBytes(12)
        let plaintext = Self.randomBytes(64 * 5 + 17)
        let whole = try ChaCha20.encrypt(plaintext, key: key, nonce: nonce, counter: 7)
        var pieces: [UInt8] = []
        for start in stride(from: 0, to: plaintext.count, by: 64) {
            let chunk = Array(plaintext[start..<min(start + 64, plaintext.count)])
            pieces += try ChaCha20.encrypt(chunk, key: key, nonce: nonce, counter: 7 + UInt32(start / 64))
        }
        #expect(whole == pieces)
    }

    // MARK: Fixtures

    static let key00to1f: [UInt8] = [UInt8](0x00...0x1f)

    /// RFC 8439 section 2.4.2 plaintext (114 bytes).
    static let sunscreen: [UInt8] = Array(
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }
}
