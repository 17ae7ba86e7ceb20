/// Modular arithmetic for a fixed odd modulus of `limbCount` 64-bit limbs,
/// in Montgomery form (a is held as a*R mod p, R = 2^(64*limbCount)).
///
/// Numbers are little-endian limb arrays. Multiplication is CIOS Montgomery
/// multiplication (Koç, Acar, Kaliski 1996) with 128-bit products, or, for
/// the FFDHE sizes on a CPU with BMI2, the C kernels with mulx (see
/// `Implementation`). The final
/// conditional subtraction is a mask select, and exponentiation uses a fixed
/// 4-bit window whose table lookup reads every entry, so the running time
/// and memory access pattern depend only on the sizes, never on the values.
@usableFromInline
struct MontgomeryModulus: Sendable {
    /// The modulus, little-endian limbs.
    let modulus: [UInt64]
    /// -modulus^-1 mod 2^64.
    let negatedInverse: UInt64
    /// R mod p: the Montgomery form of 1.
    let montgomeryOne: [UInt64]
    /// R^2 mod p: multiplying by it converts into Montgomery form.
    let rSquared: [UInt64]

    /// How products are computed for this modulus: with mulx where the CPU
    /// has BMI2 and the size is one of the kernel's (32, 48 or 64 limbs,
    /// the RFC 7919 groups), else portably.
    let implementation: Implementation

    var limbCount: Int { modulus.count }

    /// The ways to compute Montgomery products.
    enum Implementation: Sendable, CaseIterable {
        /// CIOS in portable Swift, for any size on any CPU.
        case portable
        /// The C kernels of montgomery_bmi2.c (product scanning with mulx,
        /// a dedicated squaring); needs `CPUFeatures.bmi2`.
        case mulx

        /// The limb counts the mulx kernels are compiled for.
        static let mulxLimbCounts = [32, 48, 64]

        /// What a modulus of `limbCount` limbs uses in this process.
        static func selected(limbCount: Int, features: CPUFeatures = .enabled) -> Implementation {
            features.contains(.bmi2) && mulxLimbCounts.contains(limbCount) ? .mulx : .portable
        }

        /// The name `CryptoImplementation` reports.
        var name: String {
            switch self {
            case .portable: "portable"
            case .mulx: "mulx"
            }
        }
    }

    /// Prepares arithmetic modulo `modulus` (odd, most significant limb non-zero).
    init(modulus: [UInt64]) {
        precondition(modulus.first.map { $0 & 1 == 1 } ?? false, "Montgomery arithmetic needs an odd modulus")
        precondition(modulus.last != 0, "the top limb of the modulus must be non-zero")
        self.modulus = modulus
        implementation = .selected(limbCount: modulus.count)
        // Newton iteration for p^-1 mod 2^64: each step doubles the correct bits.
        var inverse: UInt64 = 1
        for _ in 0..<6 { inverse = inverse &* (2 &- modulus[0] &* inverse) }
        negatedInverse = 0 &- inverse
        // R mod p by reducing 2^(64n) (modulus setup is public: ordinary code).
        var value = [UInt64](repeating: 0, count: modulus.count)
        value[0] = 1
        for _ in 0..<(64 * modulus.count) { MontgomeryModulus.doubleModulo(&value, modulus) }
        montgomeryOne = value
        for _ in 0..<(64 * modulus.count) { MontgomeryModulus.doubleModulo(&value, modulus) }
        rSquared = value
    }

    /// value = 2 * value mod p, for value < p (used only at setup, on public values).
    private static func doubleModulo(_ value: inout [UInt64], _ modulus: [UInt64]) {
        var carry: UInt64 = 0
        for index in value.indices {
            let next = value[index] >> 63
            value[index] = value[index] << 1 | carry
            carry = next
        }
        if carry == 1 || !isLess(value, modulus) {
            var borrow: UInt64 = 0
            for index in value.indices {
                let (difference, overflow1) = value[index].subtractingReportingOverflow(modulus[index])
                let (result, overflow2) = difference.subtractingReportingOverflow(borrow)
                value[index] = result
                borrow = (overflow1 || overflow2) ? 1 : 0
            }
        }
    }

    /// Whether a < b for equal-length limb arrays (variable time: public values only).
    static func isLess(_ a: [UInt64], _ b: [UInt64]) -> Bool {
        for index in stride(from: a.count - 1, through: 0, by: -1) where a[index] != b[index] {
            return a[index] < b[index]
        }
        return false
    }

    /// All ones if a < b, else zero, for equal-length limb arrays, in
    /// constant time: the borrow out of a - b, computed over every limb.
    static func lessMask(_ a: [UInt64], _ b: [UInt64]) -> UInt64 {
        var borrow: UInt64 = 0
        for index in a.indices {
            let difference = UInt128(a[index]) &- UInt128(b[index]) &- UInt128(borrow)
            borrow = UInt64(truncatingIfNeeded: difference >> 64) & 1
        }
        return ConstantTime.mask(borrow)
    }

    /// result = a * b * R^-1 mod p. `result` may alias neither input; the
    /// scratch space holds limbCount + 2 limbs.
    func multiply(
        _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
        into result: UnsafeMutablePointer<UInt64>, scratch t: UnsafeMutablePointer<UInt64>
    ) {
        let n = limbCount
        modulus.withUnsafeBufferPointer { modulusBuffer in
            let p = modulusBuffer.baseAddress!
            t.update(repeating: 0, count: n + 2)
            for i in 0..<n {
                // t += a * b[i]
                let bi = UInt128(b[i])
                var carry: UInt64 = 0
                for j in 0..<n {
                    let product = UInt128(a[j]) &* bi &+ UInt128(t[j]) &+ UInt128(carry)
                    t[j] = UInt64(truncatingIfNeeded: product)
                    carry = UInt64(truncatingIfNeeded: product >> 64)
                }
                let top = UInt128(t[n]) &+ UInt128(carry)
                t[n] = UInt64(truncatingIfNeeded: top)
                t[n + 1] = UInt64(truncatingIfNeeded: top >> 64)
                // t = (t + m * p) / 2^64, with m chosen to clear the low limb.
                let m = UInt128(t[0] &* negatedInverse)
                var reduction = m &* UInt128(p[0]) &+ UInt128(t[0])
                carry = UInt64(truncatingIfNeeded: reduction >> 64)
                for j in 1..<n {
                    reduction = m &* UInt128(p[j]) &+ UInt128(t[j]) &+ UInt128(carry)
                    t[j - 1] = UInt64(truncatingIfNeeded: reduction)
                    carry = UInt64(truncatingIfNeeded: reduction >> 64)
                }
                let last = UInt128(t[n]) &+ UInt128(carry)
                t[n - 1] = UInt64(truncatingIfNeeded: last)
                t[n] = t[n + 1] &+ UInt64(truncatingIfNeeded: last >> 64)
            }
            // t < 2p: subtract p, and keep the difference unless it borrowed.
            var borrow: UInt64 = 0
            for j in 0..<n {
                let difference = UInt128(t[j]) &- UInt128(p[j]) &- UInt128(borrow)
                result[j] = UInt64(truncatingIfNeeded: difference)
                borrow = UInt64(truncatingIfNeeded: difference >> 64) & 1
            }
            // t[n] is 0 or 1. A borrow that t[n] cannot absorb means t < p:
            // keep t. Selected with a mask, never a branch.
            let keep = ConstantTime.mask(borrow & (t[n] ^ 1))
            for j in 0..<n {
                result[j] = (t[j] & keep) | (result[j] & ~keep)
            }
        }
    }
}
