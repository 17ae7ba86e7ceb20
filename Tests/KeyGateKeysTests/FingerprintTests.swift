import KeyGateKeys
import Testing

struct FingerprintTests {
    // The expected values were computed independently with Python:
    // 'SHA256:' + base64.b64encode(hashlib.sha256(key).digest()).decode().rstrip('=')

    @Test func fingerprintOfThirtyTwoZeroBytes() {
        #expect(Fingerprint.of([UInt8](repeating: 0, count: 32)) == "SHA256:Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU")
    }

    @Test func fingerprintOfRFC7748AlicePublicKey() throws {
        let expected = "SHA256:MAyclgO5Kks57TlYv5JAEUgE20/TcwEsDKR0MtY0Ja4"
        #expect(Fingerprint.of(TestKeys.alicePublic) == expected)
        #expect(try TestKeys.alice.fingerprint == expected)
    }

    @Test func fingerprintIsUnpadded() {
        // SHA-256 is 32 bytes: padded base64 would end in one '='.
        let fingerprint = Fingerprint.of([1, 2, 3])
        #expect(fingerprint.hasPrefix("SHA256:"))
        #expect(!fingerprint.contains("="))
        #expect(fingerprint.count == "SHA256:".count + 43)
    }
}
