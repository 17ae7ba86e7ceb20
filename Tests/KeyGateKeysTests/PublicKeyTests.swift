import KeyGateKeys
import Testing

struct PublicKeyTests {
    @Test func rejectsWrongSize() {
        #expect(throws: KeyFileError.invalidKey(.wrongKeySize(algorithm: .x25519, isPrivate: false, expected: 32, actual: 33))) {
            try PublicKey(algorithm: .x25519, bytes: [UInt8](repeating: 1, count: 33))
        }
        #expect(throws: KeyFileError.invalidKey(.wrongKeySize(algorithm: .ffdhe3072, isPrivate: false, expected: 384, actual: 256))) {
            try PublicKey(algorithm: .ffdhe3072, bytes: [UInt8](repeating: 1, count: 256))
        }
    }

    @Test func lineWithAndWithoutComment() throws {
        let key = try TestKeys.alice
        #expect(key.line() == "x25519 \(TestKeys.alicePublicBase64)")
        #expect(key.line(comment: "alice") == "x25519 \(TestKeys.alicePublicBase64) alice")
        #expect(try KeyLine(parsing: key.line(comment: "alice")).publicKey() == key)
    }

    @Test func equalityCoversAlgorithmAndBytes() throws {
        let bytes = [UInt8](repeating: 7, count: 32)
        #expect(try PublicKey(algorithm: .x25519, bytes: bytes) == PublicKey(algorithm: .x25519, bytes: bytes))
        #expect(try TestKeys.alice != TestKeys.bob)
    }

    @Test func descriptionIsFingerprintAndAlgorithm() throws {
        #expect(try TestKeys.alice.description == "SHA256:MAyclgO5Kks57TlYv5JAEUgE20/TcwEsDKR0MtY0Ja4 (x25519)")
    }
}
