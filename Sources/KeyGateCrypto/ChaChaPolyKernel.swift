/// The code that computes ChaCha20, Poly1305 and their AEAD in this
/// process: the portable Swift, or the C kernels of CKeyGateCrypto for
/// AVX2 (eight ChaCha20 blocks per pass, Poly1305 in two chains of four
/// lanes) with BMI2 (the mulx of the scalar Poly1305 for short inputs and
/// tails); on a CPU with AVX-512, ChaCha20 sixteen blocks per pass in
/// 512-bit registers (chacha20_avx512.c; tails in the AVX2 kernel's passes
/// with AVX-512VL rotations, chacha20_avx512vl.c) and Poly1305 in two
/// chains of eight lanes (poly1305_avx512.c).
///
/// Chosen once, from `CPUFeatures.enabled`: one switch for all three, since
/// the AEAD runs both kernels. Internal functions take a kernel explicitly,
/// so the tests can compare each with the portable one on any CPU that has
/// it.
enum ChaChaPolyKernel: Sendable {
    case portable
    case avx2
    case avx512

    /// What the C kernels need.
    static let requiredFeatures: CPUFeatures = [.avx2, .bmi2]

    /// What a kernel needs of the CPU.
    var requiredFeatures: CPUFeatures {
        switch self {
        case .portable: []
        case .avx2: Self.requiredFeatures
        case .avx512: Self.requiredFeatures.union(.avx512)
        }
    }

    /// The kernel every public entry point uses: the fastest that
    /// `CPUFeatures.enabled` allows.
    static let selected = fastest(allowedBy: CPUFeatures.enabled)

    /// The fastest kernel `features` can run.
    static func fastest(allowedBy features: CPUFeatures) -> ChaChaPolyKernel {
        [.avx512, .avx2].first { features.isSuperset(of: $0.requiredFeatures) } ?? .portable
    }

    /// Whether this CPU can run the C kernels at all (whatever
    /// `KEYGATE_CPU` says), for the tests.
    static var isAvailable: Bool { CPUFeatures.detected.isSuperset(of: requiredFeatures) }

    /// The C kernels this CPU can run (whatever `KEYGATE_CPU` says), for
    /// the tests that compare each with the portable Swift.
    static var availableVectorKernels: [ChaChaPolyKernel] {
        [.avx2, .avx512].filter { CPUFeatures.detected.isSuperset(of: $0.requiredFeatures) }
    }

    /// The name of the ChaCha20 path, for `CryptoImplementation.paths`.
    var chaCha20Path: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2"
        case .avx512: "avx512"
        }
    }

    /// The name of the Poly1305 path, for `CryptoImplementation.paths`.
    var poly1305Path: String {
        switch self {
        case .portable: "portable"
        case .avx2: "avx2,bmi2"
        case .avx512: "avx512,bmi2"
        }
    }
}
