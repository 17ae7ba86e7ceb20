import CKeyGateCrypto
import Testing
@testable import KeyGateCrypto

/// The mulx kernels (montgomery_bmi2.c) against the portable Swift
/// arithmetic, for each RFC 7919 group: single products and squares, and
/// whole exponentiations on random and edge bases and exponents. The
/// Python-computed fixtures of FFDHEGroupTests run on both paths here too.
struct MontgomeryModulusTests {
    static let hasBMI2 = CPUFeatures.detected.contains(.bmi2)
    static let groups = FFDHEGroup.all.map { GroupArgument(group: $0) }

    struct GroupArgument: Sendable, CustomTestStringConvertible {
        let group: FFDHEGroup
        var testDescription: String { group.name }
        var arithmetic: MontgomeryModulus { group.arithmetic }
    }

    static func randomLimbs(_ count: Int) -> [UInt64] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in generator.next() }
    }

    /// A random value below p: every RFC 7919 prime's top limb is all ones,
    /// so a smaller top limb is enough; now and then p minus a small number.
    static func randomBelow(_ arithmetic: MontgomeryModulus) -> [UInt64] {
        var value = randomLimbs(arithmetic.limbCount)
        if Bool.random() {
            value[value.count - 1] &= ~(1 << 63)
        } else {
            value = arithmetic.modulus
            value[0] -= UInt64.random(in: 1...1000) // p's low limb is all ones: no borrow
        }
        return value
    }

    /// Edge values 0, 1, 2, p - 2 and p - 1.
    static func edgeValues(_ arithmetic: MontgomeryModulus) -> [[UInt64]] {
        let n = arithmetic.limbCount
        let zero = [UInt64](repeating: 0, count: n)
        var one = zero, two = zero
        one[0] = 1
        two[0] = 2
        var pMinusOne = arithmetic.modulus, pMinusTwo = arithmetic.modulus
        pMinusOne[0] -= 1
        pMinusTwo[0] -= 2
        return [zero, one, two, pMinusTwo, pMinusOne]
    }

    static func portableProduct(_ arithmetic: MontgomeryModulus, _ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        let n = arithmetic.limbCount
        var result = [UInt64](repeating: 0, count: n), scratch = [UInt64](repeating: 0, count: n + 2)
        result.withUnsafeMutableBufferPointer { result in
            scratch.withUnsafeMutableBufferPointer { scratch in
                arithmetic.multiply(a, b, into: result.baseAddress!, scratch: scratch.baseAddress!)
            }
        }
        return result
    }

    static func mulxProduct(_ arithmetic: MontgomeryModulus, _ a: [UInt64], _ b: [UInt64]) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: arithmetic.limbCount)
        ckg_montgomery_multiply_bmi2(&result, a, b, arithmetic.modulus, arithmetic.negatedInverse, arithmetic.limbCount)
        return result
    }

    static func mulxSquare(_ arithmetic: MontgomeryModulus, _ a: [UInt64]) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: arithmetic.limbCount)
        ckg_montgomery_square_bmi2(&result, a, arithmetic.modulus, arithmetic.negatedInverse, arithmetic.limbCount)
        return result
    }

    @Test func ffdheGroupsUseMulxExactlyWhenBMI2IsEnabled() {
        for group in FFDHEGroup.all {
            #expect(group.arithmetic.implementation == (CPUFeatures.enabled.contains(.bmi2) ? .mulx : .portable))
        }
        #expect(MontgomeryModulus.Implementation.selected(limbCount: 32, features: [.bmi2]) == .mulx)
        #expect(MontgomeryModulus.Implementation.selected(limbCount: 4, features: [.bmi2]) == .portable)
        #expect(MontgomeryModulus.Implementation.selected(limbCount: 64, features: []) == .portable)
    }

    @Test(.enabled(if: hasBMI2, "the CPU has no BMI2"), arguments: groups)
    func productsAndSquaresMatchPortable(_ argument: GroupArgument) {
        let arithmetic = argument.arithmetic
        let edges = Self.edgeValues(arithmetic)
        var pairs = edges.flatMap { a in edges.map { b in (a, b) } }
        pairs += (0..<500).map { _ in (Self.randomBelow(arithmetic), Self.randomBelow(arithmetic)) }
        for (a, b) in pairs {
            let expected = Self.portableProduct(arithmetic, a, b)
            #expect(Self.mulxProduct(arithmetic, a, b) == expected)
            #expect(Self.mulxSquare(arithmetic, a) == Self.portableProduct(arithmetic, a, a))
        }
        // In place, as the kernels allow: r may be a or b.
        var a = Self.randomBelow(arithmetic)
        let b = Self.randomBelow(arithmetic)
        let expected = Self.portableProduct(arithmetic, a, b)
        ckg_montgomery_multiply_bmi2(&a, a, b, arithmetic.modulus, arithmetic.negatedInverse, arithmetic.limbCount)
        #expect(a == expected)
    }

    @Test(.enabled(if: hasBMI2, "the CPU has no BMI2"), arguments: groups)
    func exponentiationMatchesPortableOnRandomAndEdgeInputs(_ argument: GroupArgument) {
        let arithmetic = argument.arithmetic
        let length = argument.group.privateKeyByteCount
        var exponents: [[UInt8]] = [
            [UInt8](repeating: 0, count: length), [UInt8](repeating: 0xff, count: length),
            [1] + [UInt8](repeating: 0, count: length - 1), [UInt8](repeating: 0, count: length - 1) + [1], [],
        ]
        exponents += (0..<4).map { _ in (0..<length).map { _ in UInt8.random(in: 0...255) } }
        let bases = Self.edgeValues(arithmetic) + (0..<3).map { _ in Self.randomBelow(arithmetic) }
        // An exponent as long as the modulus costs as much as eight private
        // keys' worth: one base is enough for it (the test suite runs on
        // two cores, beside tests with deadlines).
        let fullLength = [UInt8](repeating: 0xff, count: argument.group.byteCount)
        for (index, base) in bases.enumerated() {
            for exponent in exponents + (index == bases.count - 1 ? [fullLength] : []) {
                let portable = exponent.withUnsafeBytes { arithmetic.power(base: base, exponent: $0, by: .portable) }
                let mulx = exponent.withUnsafeBytes { arithmetic.power(base: base, exponent: $0, by: .mulx) }
                #expect(mulx == portable, "base \(base.first ?? 0)..., exponent of \(exponent.count) bytes")
            }
        }
    }

    @Test(arguments: FFDHEGroupTests.fixtures)
    func pythonFixturesOnEveryAvailablePath(_ fixture: FFDHEGroupTests.Fixture) {
        let arithmetic = fixture.group.arithmetic
        var generator = [UInt64](repeating: 0, count: arithmetic.limbCount)
        generator[0] = 2
        let implementations: [MontgomeryModulus.Implementation] = Self.hasBMI2 ? [.portable, .mulx] : [.portable]
        for implementation in implementations {
            let publicA = fixture.privateA.withUnsafeBytes { arithmetic.power(base: generator, exponent: $0, by: implementation) }
            #expect(publicA == FFDHEGroup.limbs(fromBigEndian: fixture.publicA), "\(implementation)")
            let shared = fixture.privateA.withUnsafeBytes {
                arithmetic.power(base: FFDHEGroup.limbs(fromBigEndian: fixture.publicB), exponent: $0, by: implementation)
            }
            #expect(shared == FFDHEGroup.limbs(fromBigEndian: fixture.shared), "\(implementation)")
        }
    }
}
