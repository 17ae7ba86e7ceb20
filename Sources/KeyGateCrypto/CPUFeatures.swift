import CKeyGateCrypto
import Glibc

/// The instruction-set extensions the cryptographic kernels may use,
/// decided once per process from CPUID.
///
/// Every primitive has a portable path that runs on any CPU, and may have
/// faster ones for extensions listed here; it picks among them with
/// `CPUFeatures.enabled`, never by compile-time assumption, so one binary
/// (and one Docker image) runs on every x86-64 and on aarch64, which always
/// takes the portable paths. Setting `KEYGATE_CPU=portable` in the
/// environment forces the portable paths everywhere: for tests of the
/// portable code on a fast CPU, and for anyone who distrusts the fast ones.
/// `KEYGATE_CPU=avx2` leaves AVX-512 out: what a CPU without it runs, for
/// measuring both kernels on one machine.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32

    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// 256-bit integer vectors, with the registers saved by the kernel.
    public static let avx2 = CPUFeatures(rawValue: CKG_CPU_AVX2)
    /// mulx, the 64x64->128 multiply that leaves the flags alone.
    public static let bmi2 = CPUFeatures(rawValue: CKG_CPU_BMI2)
    /// adcx/adox, two carry chains at once.
    public static let adx = CPUFeatures(rawValue: CKG_CPU_ADX)
    /// The SHA-256 instructions (with SSSE3 and SSE4.1).
    public static let sha = CPUFeatures(rawValue: CKG_CPU_SHA)
    /// AVX-512 Foundation, BW and VL: 512-bit registers, a one-instruction
    /// rotation, byte masks, and the same on 256-bit registers, with AVX2
    /// and the opmask and ZMM state saved by the kernel.
    public static let avx512 = CPUFeatures(rawValue: CKG_CPU_AVX512)

    /// The environment variable that can force the portable paths.
    public static let environmentVariable = "KEYGATE_CPU"

    /// What the CPU offers, whatever the environment says.
    public static let detected = CPUFeatures(rawValue: ckg_cpu_features())

    /// What the primitives use: `detected`, or nothing when
    /// `KEYGATE_CPU=portable`.
    public static let enabled: CPUFeatures = selected(detected: detected, setting: environmentSetting)

    /// The value of `KEYGATE_CPU`, if set.
    static var environmentSetting: String? {
        getenv(environmentVariable).map { String(cString: $0) }
    }

    /// The features to use for `setting` (the environment variable's
    /// value): `portable` turns every one off; `avx2` turns off AVX-512;
    /// unset, empty or `native` keeps what the CPU has. Any other value
    /// also means portable: a misspelt request for caution must not
    /// silently select fast code.
    static func selected(detected: CPUFeatures, setting: String?) -> CPUFeatures {
        switch setting {
        case nil, "", "native": detected
        case "avx2": detected.subtracting(.avx512)
        default: []
        }
    }

    public var description: String {
        let names: [(CPUFeatures, String)] = [
            (.avx2, "avx2"), (.bmi2, "bmi2"), (.adx, "adx"), (.sha, "sha"), (.avx512, "avx512"),
        ]
        let present = names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ",")
    }
}
