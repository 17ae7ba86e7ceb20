import KeyGateCrypto
import KeyGateKeys
import KeyGateNoise
import Testing

struct PrivateKeyTests {
    @Test func derivesRFC7748PublicKey() throws {
        let key = try PrivateKey(algorithm: .x25519, bytes: TestKeys.alicePrivate)
        #expect(key.publicKey.bytes == TestKeys.alicePublic)
        #expect(key.line(comment: "alice") == "x25519 \(TestKeys.alicePrivateBase64) alice")
    }

    @Test(arguments: KeyAlgorithm.allCases)
    func generatedKeyHasTheAlgorithmsSizes(algorithm: KeyAlgorithm) {
        let key = PrivateKey.generate(algorithm: algorithm)
        #expect(key.secret.count == algorithm.privateKeyByteCount)
        #expect(key.publicKey.bytes.count == algorithm.publicKeyByteCount)
        #expect(key.publicKey.algorithm == algorithm)
    }

    @Test func generationUsesTheInjectedRandomSource() {
        let first = PrivateKey.generate(algorithm: .x25519, using: RepeatingRandomSource(byte: 9))
        let second = PrivateKey.generate(algorithm: .x25519, using: RepeatingRandomSource(byte: 9))
        #expect(first.secret.withUnsafeBytes { Array($0) } == [UInt8](repeating: 9, count: 32))
        #expect(first.publicKey == second.publicKey)
    }

    @Test func rejectsWrongSizeAndZeroFFDHEExponent() {
        #expect(throws: KeyFileError.invalidKey(.wrongKeySize(algorithm: .ffdhe4096, isPrivate: true, expected: 64, actual: 32))) {
            try PrivateKey(algorithm: .ffdhe4096, bytes: [UInt8](repeating: 1, count: 32))
        }
        #expect {
            try PrivateKey(algorithm: .ffdhe2048, bytes: [UInt8](repeating: 0, count: 32))
        } throws: { error in
            guard case .invalidKey(.invalidPrivateKey(.ffdhe2048, _)) = error as? KeyFileError else { return false }
            return true
        }
    }

    @Test func descriptionDoesNotRevealTheSecret() throws {
        let key = try PrivateKey(algorithm: .x25519, bytes: TestKeys.alicePrivate)
        #expect(!"\(key)".contains(TestKeys.alicePrivateBase64))
        #expect(!"\(key)".contains(String(TestKeys.alicePrivateBase64.prefix(8))))
        #expect("\(key)" == "private key for SHA256:MAyclgO5Kks57TlYv5JAEUgE20/TcwEsDKR0MtY0Ja4 (x25519)")
    }
}

/// A static FFDHE exponent is even, so a peer value of order 2q reveals
/// nothing: DH(x, y) and DH(x, -y) are the same, and a hostile peer that
/// sends -y cannot tell which of its two guesses the key gave.
struct FFDHEStaticParityTests {
    @Test(arguments: [KeyAlgorithm.ffdhe2048, .ffdhe3072])
    func generatedStaticExponentsAreEvenAndHideTheirParity(algorithm: KeyAlgorithm) throws {
        guard case let dh as FiniteFieldDH = algorithm.diffieHellman else { Issue.record("not FFDHE"); return }
        let peer = try dh.publicKey(privateKey: dh.generatePrivateKey(using: SystemRandomSource()))
        // -peer = p - peer, of order 2q.
        let minusPeer = Self.subtract(peer, from: dh.group.prime)
        for _ in 0..<4 {
            let key = PrivateKey.generate(algorithm: algorithm)
            #expect(!key.hasOddFFDHEExponent)
            let plain = try key.secret.withTemporaryArray { try dh.agree(privateKey: $0, publicKey: peer) }
            let negated = try key.secret.withTemporaryArray { try dh.agree(privateKey: $0, publicKey: minusPeer) }
            #expect(plain == negated)
        }
        // An odd exponent gives two different results: the leak closed above.
        var odd = PrivateKey.generate(algorithm: algorithm).secret.withUnsafeBytes { Array($0) }
        odd[odd.count - 1] |= 1
        #expect(try dh.agree(privateKey: odd, publicKey: peer) != dh.agree(privateKey: odd, publicKey: minusPeer))
        #expect(try PrivateKey(algorithm: algorithm, bytes: odd).hasOddFFDHEExponent)
    }

    /// `modulus - value`, big-endian, same length.
    static func subtract(_ value: [UInt8], from modulus: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: modulus.count)
        var borrow = 0
        for index in stride(from: modulus.count - 1, through: 0, by: -1) {
            var digit = Int(modulus[index]) - Int(value[index]) - borrow
            borrow = digit < 0 ? 1 : 0
            if digit < 0 { digit += 256 }
            result[index] = UInt8(digit)
        }
        return result
    }
}
