import KeyGateFixtures
import Testing
@testable import KeyGateCrypto

/// The C kernels (AVX2 and AVX-512 ChaCha20, AVX2/BMI2 Poly1305 and their
/// AEAD) against the portable Swift, each called explicitly whatever
/// `KEYGATE_CPU` says (every C kernel this CPU can run),
/// on random input of every length from 0 to 4096 bytes and a few large
/// ones: every eight-block pass and tail of ChaCha20, every split between
/// the vector and scalar Poly1305, every chunk boundary of the AEAD.
@Suite(.enabled(if: ChaChaPolyKernel.isAvailable, "the C kernels need AVX2 and BMI2, which this CPU lacks"))
struct ChaChaPolyKernelTests {
    /// 0...4096, then past a 64 KiB chunk boundary and a mebibyte.
    static let lengths = Array(0...4096) + [16 * 1024 + 5, 64 * 1024 + 3, 1 << 20]

    @Test func selectionFollowsTheEnabledFeatures() {
        let expected = ChaChaPolyKernel.fastest(allowedBy: CPUFeatures.enabled)
        #expect(ChaChaPolyKernel.selected == expected)
        let paths = Dictionary(uniqueKeysWithValues: CryptoImplementation.paths.map { ($0.primitive, $0.path) })
        #expect(paths["chacha20"] == expected.chaCha20Path)
        #expect(paths["poly1305"] == expected.poly1305Path)
    }

    @Test func theFastestKernelTheFeaturesAllowIsChosen() {
        #expect(ChaChaPolyKernel.fastest(allowedBy: []) == .portable)
        #expect(ChaChaPolyKernel.fastest(allowedBy: [.avx2]) == .portable)
        #expect(ChaChaPolyKernel.fastest(allowedBy: [.avx2, .bmi2]) == .avx2)
        #expect(ChaChaPolyKernel.fastest(allowedBy: [.avx2, .bmi2, .adx, .sha]) == .avx2)
        #expect(ChaChaPolyKernel.fastest(allowedBy: [.avx2, .bmi2, .avx512]) == .avx512)
        #expect(ChaChaPolyKernel.fastest(allowedBy: [.bmi2, .avx512]) == .portable)
    }

    /// RFC 8439 sections 2.4.2, 2.5.2 and 2.8.2 on the C kernels.
    @Test(arguments: ChaChaPolyKernel.availableVectorKernels)
    func rfc8439VectorsOnTheKernels(kernel: ChaChaPolyKernel) throws {
        let key = ChaCha20Tests.key00to1f
        let nonce = [UInt8](hex: "000000000000004a00000000")
        var sunscreen = ChaCha20Tests.sunscreen
        sunscreen.withUnsafeMutableBytes { buffer in
            ChaCha20.xorKeyStream(buffer, key: try! ChaCha20.Key(key), nonce: try! ChaCha20.Nonce(nonce), counter: 1, kernel: kernel)
        }
        #expect(Array(sunscreen.prefix(16)).hex == "6e2e359a2568f98041ba0728dd0d6981")
        #expect(sunscreen == Reference.chaCha20(ChaCha20Tests.sunscreen, key: key, nonce: nonce, counter: 1))

        let tag = try Poly1305.authenticate(
            message: Array("Cryptographic Forum Research Group".utf8),
            key: [UInt8](hex: "85d6be7857556d337f4452fe42d506a8 0103808afb0db2fd4abff6af4149f51b"), kernel: kernel)
        #expect(tag.hex == "a8061dc1305136c6c22b8baf0c0127a9")

        let (ciphertext, aeadTag) = Self.seal(
            ChaCha20Tests.sunscreen, key: [UInt8](0x80...0x9f), nonce: [UInt8](hex: "070000004041424344454647"),
            aad: [UInt8](hex: "50515253c0c1c2c3c4c5c6c7"), kernel: kernel)
        #expect(Array(ciphertext.prefix(16)).hex == "d31a8d34648e60db7b86afbc53ef7ec2")
        #expect(aeadTag.hex == "1ae10b594f09e26a7e902ecbd0600691")
    }

    /// Keystream XOR at a random counter, at 0, and at counters whose
    /// blocks run past 2^32, where both kernels wrap to block 0 with the
    /// nonce unchanged.
    @Test(arguments: ChaChaPolyKernel.availableVectorKernels, [UInt32?.none, 0, UInt32.max - 20, UInt32.max])
    func chaCha20KernelMatchesPortable(kernel: ChaChaPolyKernel, fixedCounter: UInt32?) throws {
        for length in Self.lengths {
            let key = try ChaCha20.Key(Self.randomBytes(32)), nonce = try ChaCha20.Nonce(Self.randomBytes(12))
            let counter = fixedCounter ?? UInt32.random(in: 0...UInt32.max)
            let input = Self.randomBytes(length)
            var fast = input, portable = input
            fast.withUnsafeMutableBytes { ChaCha20.xorKeyStream($0, key: key, nonce: nonce, counter: counter, kernel: kernel) }
            portable.withUnsafeMutableBytes { ChaCha20.xorKeyStreamPortable($0, key: key, nonce: nonce, counter: counter) }
            #expect(fast == portable, "length \(length), counter \(counter)")
            if fast != portable { return }
        }
    }

    /// Random messages, and all-ones keys and messages, which push every limb
    /// and carry of both kernels to its maximum.
    @Test(arguments: ChaChaPolyKernel.availableVectorKernels, [false, true])
    func poly1305KernelMatchesPortable(kernel: ChaChaPolyKernel, allOnes: Bool) throws {
        for length in Self.lengths {
            let key = allOnes ? [UInt8](repeating: 0xff, count: 32) : Self.randomBytes(32)
            let message = allOnes ? [UInt8](repeating: 0xff, count: length) : Self.randomBytes(length)
            let fast = try Poly1305.authenticate(message: message, key: key, kernel: kernel)
            let portable = Poly1305.authenticatePortable(message: message, key: key)
            #expect(fast == portable, "length \(length)")
            if fast != portable { return }
        }
    }

    /// Seal on both kernels gives the same ciphertext and tag, with AAD of
    /// a random length; the kernel opens it, and a flipped bit anywhere in
    /// the tag, the ciphertext or the AAD is refused with the ciphertext
    /// left in the buffer.
    @Test(arguments: ChaChaPolyKernel.availableVectorKernels)
    func aeadKernelMatchesPortable(kernel: ChaChaPolyKernel) throws {
        for length in Self.lengths {
            let key = Self.randomBytes(32), nonce = Self.randomBytes(12)
            let aad = Self.randomBytes(Int.random(in: 0...(length % 5 == 0 ? 600 : 40)))
            let plaintext = Self.randomBytes(length)
            let fast = Self.seal(plaintext, key: key, nonce: nonce, aad: aad, kernel: kernel)
            let portable = Self.seal(plaintext, key: key, nonce: nonce, aad: aad, kernel: .portable)
            #expect(fast.ciphertext == portable.ciphertext, "length \(length), aad \(aad.count)")
            #expect(fast.tag == portable.tag, "length \(length), aad \(aad.count)")
            let opened = try Self.open(fast.ciphertext, tag: fast.tag, key: key, nonce: nonce, aad: aad, kernel: kernel)
            #expect(opened == plaintext, "length \(length), aad \(aad.count)")
            if fast.ciphertext != portable.ciphertext || fast.tag != portable.tag || opened != plaintext { return }
        }
    }

    @Test(arguments: ChaChaPolyKernel.availableVectorKernels)
    func tamperedMessagesFailOnTheKernel(kernel: ChaChaPolyKernel) throws {
        for length in [0, 1, 15, 16, 17, 63, 64, 65, 447, 448, 449, 511, 512, 513, 1000, 4096, 16 * 1024 + 5, 64 * 1024 + 3] {
            let key = Self.randomBytes(32), nonce = Self.randomBytes(12), aad = Self.randomBytes(13)
            let plaintext = Self.randomBytes(length)
            let sealed = Self.seal(plaintext, key: key, nonce: nonce, aad: aad, kernel: kernel)
            var changes: [(ciphertext: [UInt8], tag: [UInt8], aad: [UInt8])] = []
            var tag = sealed.tag
            tag[Int.random(in: 0..<16)] ^= 1 << UInt8.random(in: 0..<8)
            changes.append((sealed.ciphertext, tag, aad))
            if length > 0 {
                var ciphertext = sealed.ciphertext
                ciphertext[Int.random(in: 0..<length)] ^= 1 << UInt8.random(in: 0..<8)
                changes.append((ciphertext, sealed.tag, aad))
            }
            var otherAAD = aad
            otherAAD[Int.random(in: 0..<aad.count)] ^= 1
            changes.append((sealed.ciphertext, sealed.tag, otherAAD))
            for change in changes {
                var buffer = change.ciphertext
                let error = Self.openInPlace(&buffer, tag: change.tag, key: key, nonce: nonce, aad: change.aad, kernel: kernel)
                #expect(error == .authenticationFailed, "length \(length)")
                #expect(buffer == change.ciphertext, "length \(length): the buffer holds the ciphertext again")
            }
        }
    }

    // MARK: Helpers

    static func seal(
        _ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8], kernel: ChaChaPolyKernel
    ) -> (ciphertext: [UInt8], tag: [UInt8]) {
        var buffer = plaintext
        var tag = [UInt8](repeating: 0, count: ChaChaPoly.tagByteCount)
        buffer.withUnsafeMutableBytes { body in
            tag.withUnsafeMutableBytes { tag in
                aad.withUnsafeBytes { aad in
                    ChaChaPoly.seal(
                        body, tag: tag.baseAddress!, key: try! ChaCha20.Key(key), nonce: try! ChaCha20.Nonce(nonce), aad: aad,
                        kernel: kernel)
                }
            }
        }
        return (buffer, tag)
    }

    static func open(
        _ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8], kernel: ChaChaPolyKernel
    ) throws(CryptoError) -> [UInt8] {
        var buffer = ciphertext
        if let error = openInPlace(&buffer, tag: tag, key: key, nonce: nonce, aad: aad, kernel: kernel) { throw error }
        return buffer
    }

    /// Opens `buffer` in place; the error, if it failed.
    static func openInPlace(
        _ buffer: inout [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8], kernel: ChaChaPolyKernel
    ) -> CryptoError? {
        buffer.withUnsafeMutableBytes { body in
            tag.withUnsafeBytes { tag in
                aad.withUnsafeBytes { aad in
                    do throws(CryptoError) {
                        try ChaChaPoly.open(
                            body, tag: tag.baseAddress!, key: try ChaCha20.Key(key), nonce: try ChaCha20.Nonce(nonce), aad: aad,
                            kernel: kernel)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
        }
    }

    /// Random test input, from the kernel's generator in one call (a
    /// byte-by-byte loop in the unoptimized test build costs seconds).
    static func randomBytes(_ count: Int) -> [UInt8] {
        SecureRandom.bytes(count: count)
    }
}
