import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

/// The vectorized ChaCha20, the Poly1305 loop and the one-pass AEAD against
/// the scalar implementations of Support/Reference.swift, at every length
/// where the fast paths change strategy.
struct ReferenceComparisonTests {
    /// Lengths 0...40, then every multiple of 16 up to 1100 and the lengths
    /// one and two either side: each multiple of 64 (a block), 192 (the
    /// blocks that share the AEAD's key pass), 256 (a four-block pass) and
    /// 512, and each tail length 1...15 of a 16-byte Poly1305 block.
    static let lengths: [Int] = {
        var lengths = Set(0...40)
        for multiple in stride(from: 48, through: 1100, by: 16) {
            lengths.formUnion((multiple - 2)...(multiple + 2))
        }
        lengths.formUnion([1023, 1024, 1025, 16 * 1024 - 1, 16 * 1024, 16 * 1024 + 1, 16 * 1024 + 193])
        return lengths.sorted()
    }()

    /// AAD lengths: none, odd, around one and two Poly1305 blocks.
    static let aadLengths = [0, 1, 3, 12, 15, 16, 17, 31, 33]

    @Test func referenceMatchesRFC8439Vectors() {
        // Section 2.3.2 block, section 2.5.2 tag, section 2.8.2 AEAD: the
        // reference itself is right.
        let block = Reference.chaCha20Block(
            key: [UInt8](0x00...0x1f), counter: 1, nonce: [UInt8](hex: "000000090000004a00000000"))
        #expect(Array(block[0..<16]).hex == "10f1e7e4d13b5915500fdd1fa32071c4")
        let tag = Reference.poly1305(
            Array("Cryptographic Forum Research Group".utf8),
            key: [UInt8](hex: "85d6be7857556d337f4452fe42d506a8 0103808afb0db2fd4abff6af4149f51b"))
        #expect(tag.hex == "a8061dc1305136c6c22b8baf0c0127a9")
        let sealed = Reference.seal(
            Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8),
            aad: [UInt8](hex: "50515253c0c1c2c3c4c5c6c7"), key: [UInt8](0x80...0x9f),
            nonce: [UInt8](hex: "070000004041424344454647"))
        #expect(sealed.tag.hex == "1ae10b594f09e26a7e902ecbd0600691")
    }

    @Test func chaCha20MatchesReferenceAtEveryStrategyBoundary() {
        for length in Self.lengths {
            let key = Self.randomBytes(32), nonce = Self.randomBytes(12)
            let counter = UInt32.random(in: 0...1_000_000)
            let plaintext = Self.randomBytes(length)
            var output = plaintext
            output.withUnsafeMutableBytes { buffer in
                ChaCha20.xorKeyStream(
                    buffer, key: try! ChaCha20.Key(key), nonce: try! ChaCha20.Nonce(nonce), counter: counter)
            }
            let expected = Reference.chaCha20(plaintext, key: key, nonce: nonce, counter: counter)
            #expect(output == expected, "length \(length)")
            if output != expected { return }
        }
    }

    /// The 32-bit counter runs up to the last block of the nonce; the lanes
    /// of a four-block pass past it are computed but never used.
    @Test func chaCha20MatchesReferenceUpToTheLastCounter() {
        let key = Self.randomBytes(32), nonce = Self.randomBytes(12)
        for blocks in 1...5 {
            let counter = UInt32.max - UInt32(blocks - 1)
            let plaintext = Self.randomBytes(blocks * 64)
            let output = try! ChaCha20.encrypt(plaintext, key: key, nonce: nonce, counter: counter)
            #expect(output == Reference.chaCha20(plaintext, key: key, nonce: nonce, counter: counter), "\(blocks) blocks")
        }
    }

    @Test func poly1305MatchesReferenceAtEveryLength() throws {
        for length in Self.lengths where length <= 1100 {
            let key = Self.randomBytes(32), message = Self.randomBytes(length)
            let tag = try Poly1305.authenticate(message: message, key: key)
            #expect(tag == Reference.poly1305(message, key: key), "length \(length)")
        }
    }

    /// All-ones keys and messages push every limb and carry to its maximum,
    /// and h near p exercises the final subtraction.
    @Test func poly1305MatchesReferenceOnExtremeInputs() throws {
        let keys: [[UInt8]] = [
            [UInt8](repeating: 0xff, count: 32),
            [UInt8](repeating: 0xff, count: 16) + [UInt8](repeating: 0, count: 16),
            [UInt8](repeating: 0, count: 16) + [UInt8](repeating: 0xff, count: 16),
            [2] + [UInt8](repeating: 0, count: 15) + [UInt8](repeating: 0xff, count: 16),
        ]
        let messages: [[UInt8]] = [
            [UInt8](repeating: 0xff, count: 16 * 33),
            [UInt8](repeating: 0xff, count: 16 * 33 + 7),
            [UInt8](repeating: 0xfb, count: 16) + [UInt8](repeating: 0xff, count: 16),
            [UInt8](repeating: 0, count: 100),
        ]
        for key in keys {
            for message in messages {
                let tag = try Poly1305.authenticate(message: message, key: key)
                #expect(tag == Reference.poly1305(message, key: key), "key \(key.hex) length \(message.count)")
            }
        }
    }

    /// In-place seal at every boundary length with AAD of odd lengths gives
    /// the reference ciphertext and tag; in-place open gives the plaintext
    /// back; a wrong tag throws and leaves the ciphertext as it was.
    @Test(arguments: ReferenceComparisonTests.aadLengths)
    func inPlaceSealAndOpenMatchReference(aadLength: Int) throws {
        // The full set of lengths with no AAD; with AAD, the short ones and
        // the large edges (the AAD only shifts where Poly1305 blocks fall).
        let lengths = aadLength == 0 ? Self.lengths : Self.lengths.filter { $0 <= 300 || $0 >= 1023 }
        for length in lengths {
            let key = Self.randomBytes(32), nonce = Self.randomBytes(12)
            let aad = Self.randomBytes(aadLength), plaintext = Self.randomBytes(length)
            let expected = Reference.seal(plaintext, aad: aad, key: key, nonce: nonce)
            let chachaKey = try ChaCha20.Key(key), chachaNonce = try ChaCha20.Nonce(nonce)

            var buffer = plaintext
            var tag = [UInt8](repeating: 0, count: 16)
            buffer.withUnsafeMutableBytes { body in
                tag.withUnsafeMutableBytes { tag in
                    aad.withUnsafeBytes { aad in
                        ChaChaPoly.seal(body, tag: tag.baseAddress!, key: chachaKey, nonce: chachaNonce, aad: aad)
                    }
                }
            }
            #expect(buffer == expected.ciphertext, "length \(length) aad \(aadLength)")
            #expect(tag == expected.tag, "length \(length) aad \(aadLength)")

            var wrongTag = tag
            wrongTag[Int.random(in: 0..<16)] ^= 1 << UInt8.random(in: 0..<8)
            for (candidate, shouldOpen) in [(wrongTag, false), (tag, true)] {
                var opened = buffer
                let authentic = opened.withUnsafeMutableBytes { body in
                    candidate.withUnsafeBytes { tag in
                        aad.withUnsafeBytes { aad in
                            (try? ChaChaPoly.open(body, tag: tag.baseAddress!, key: chachaKey, nonce: chachaNonce, aad: aad)) != nil
                        }
                    }
                }
                #expect(authentic == shouldOpen, "length \(length) aad \(aadLength)")
                // Opened: the plaintext. Rejected: the ciphertext, untouched.
                #expect(opened == (shouldOpen ? plaintext : buffer), "length \(length) aad \(aadLength)")
            }
            if buffer != expected.ciphertext || tag != expected.tag { return }
        }
    }

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }
}
