/// The code that computes ChaCha20, Poly1305 and their AEAD in this
/// process: the portable Swift, or the C kernels of CKeyGateCrypto for
/// AVX2 (eight ChaCha20 blocks per pass, Poly1305 in two chains of four
/// lanes) with BMI2 (the mulx of the scalar Poly1305 for short inputs and
/// tails).
///
/// Chosen once, from `CPUFeatures.enabled`: one switch for all three, since
/// the AEAD runs both kernels. Internal functions take a kernel explicitly,
/// so the tests can compare the two on any CPU that has both.
enum ChaChaPolyKernel: Sendable {
    case portable
    case avx2

    /// What the C kernels need.
    static let requiredFeatures: CPUFeatures = [.avx2, .bmi2]

    /// The kernel every public entry point uses.
    static let selected: ChaChaPolyKernel = CPUFeatures.enabled.isSuperset(of: requiredFeatures) ? .avx2 : .portable

    /// Whether this CPU can run the C kernels at all (whatever
    /// `KEYGATE_CPU` says), for the tests.
    static var isAvailable: Bool { CPUFeatures.detected.isSuperset(of: requiredFeatures) }

    /// The name of the ChaCha20 path, for `CryptoImplementation.paths`.
    var chaCha20Path: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        }
    }

    /// The name of the Poly1305 path, for `CryptoImplementation.paths`.
    var poly1305Path: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2,bmi2"
        }
    }
}
