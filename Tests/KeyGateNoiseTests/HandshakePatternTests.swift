import KeyGateNoise
import Testing

struct HandshakePatternTests {
    @Test func pskZeroGoesFirstAndOthersAtTheEndOfTheirMessage() throws {
        let xx = try #require(HandshakePattern.named("XX"))
        let modified = try xx.applyingModifiers(["psk0", "psk3"])
        #expect(modified.messages[0] == [.psk, .e])
        #expect(modified.messages[2] == [.s, .se, .psk])
        #expect(modified.presharedKeyCount == 2)
    }

    @Test func modifiersPastTheLastMessageAreRejected() throws {
        let nn = try #require(HandshakePattern.named("NN"))
        #expect(throws: NoiseError.self) { try nn.applyingModifiers(["psk3"]) }
        #expect(throws: NoiseError.self) { try nn.applyingModifiers(["fallback"]) }
    }

    @Test func catalogCoversTheSpec() {
        let names = Set(HandshakePattern.catalog.map(\.name))
        for required in ["NN", "NK", "NX", "XN", "XK", "XX", "KN", "KK", "KX", "IN", "IK", "IX", "N", "K", "X"] {
            #expect(names.contains(required), "\(required)")
        }
        #expect(names.count == HandshakePattern.catalog.count, "no duplicates")
    }

    @Test func oneWayPatternsHaveOneMessage() throws {
        #expect(try #require(HandshakePattern.named("N")).isOneWay)
        #expect(!(try #require(HandshakePattern.named("NN")).isOneWay))
    }
}

struct NoiseProtocolNameTests {
    @Test func parsesAllParts() throws {
        let name = try NoiseProtocolName("Noise_IKpsk1_FFDHE3072_ChaChaPoly_SHA256")
        #expect(name.patternName == "IK")
        #expect(name.modifiers == ["psk1"])
        #expect(name.diffieHellman.name == "FFDHE3072")
        #expect(name.diffieHellman.publicKeyByteCount == 384)
    }

    @Test(arguments: [
        "", "Noise", "Noise_XX_25519_ChaChaPoly", "Noise_XX_448_ChaChaPoly_SHA256",
        "Noise_XX_25519_AESGCM_SHA256", "Noise_XX_25519_ChaChaPoly_BLAKE2s", "Noise_ZZ_25519_ChaChaPoly_SHA256",
        "noise_XX_25519_ChaChaPoly_SHA256", "Noise_XX_25519_ChaChaPoly_SHA256_extra", "Noise_XXpsk9_25519_ChaChaPoly_SHA256",
    ])
    func rejectsUnsupportedNames(_ name: String) {
        #expect(throws: NoiseError.self) { try NoiseProtocolName(name) }
    }
}
