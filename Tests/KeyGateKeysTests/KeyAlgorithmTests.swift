import KeyGateKeys
import KeyGateNoise
import Testing

struct KeyAlgorithmTests {
    /// (algorithm, private key bytes, public key bytes, file-name suffix):
    /// PROTOCOL.md sections 7 and 8.
    static let sizes: [(KeyAlgorithm, Int, Int, String)] = [
        (.x25519, 32, 32, ""),
        (.ffdhe2048, 32, 256, "-ffdhe2048"),
        (.ffdhe3072, 48, 384, "-ffdhe3072"),
        (.ffdhe4096, 64, 512, "-ffdhe4096"),
    ]

    @Test(arguments: sizes)
    func keySizesAndFileSuffix(algorithm: KeyAlgorithm, privateBytes: Int, publicBytes: Int, suffix: String) {
        #expect(algorithm.privateKeyByteCount == privateBytes)
        #expect(algorithm.publicKeyByteCount == publicBytes)
        #expect(algorithm.fileNameSuffix == suffix)
        #expect(algorithm.diffieHellman.keyAlgorithm == algorithm.rawValue)
    }

    @Test func everyNoiseFunctionHasAnAlgorithmAndBack() {
        #expect(DiffieHellmanFunctions.all.count == KeyAlgorithm.allCases.count)
        for function in DiffieHellmanFunctions.all {
            let algorithm = KeyAlgorithm(diffieHellman: function)
            #expect(algorithm?.diffieHellman.name == function.name)
        }
    }

    @Test func allNamesForMessages() {
        #expect(KeyAlgorithm.allNames == "x25519, ffdhe2048, ffdhe3072 or ffdhe4096")
    }
}
