import KeyGateKeys
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
