import CKeyGateCrypto

/// X25519 Diffie-Hellman (RFC 7748 section 5).
///
/// Constant time: the scalar is processed by a Montgomery ladder over all
/// 255 bit positions (254 down to 0) whatever its value, with mask-based
/// conditional swaps instead of branches; the field arithmetic has no
/// data-dependent branches or indexes, and the final inversion is a fixed
/// chain of squarings and multiplications. The ladder runs in portable Swift
/// or, on a CPU with BMI2, in the C kernel of CKeyGateCrypto
/// (`Implementation`); both follow the same formulas.
public enum X25519 {
    public static let keyByteCount = 32

    /// The public key for `privateKey`: X25519(k, 9).
    /// - Throws: `CryptoError.invalidLength` unless the key has 32 bytes.
    ///
    /// Computed on edwards25519 with a precomputed table (see
    /// `Edwards25519`), which gives the same result as the ladder on u = 9
    /// at about a third of the cost.
    public static func publicKey(privateKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        try CryptoError.requireLength("private key", privateKey.count, keyByteCount)
        let k = clamped(privateKey)
        let u = k.withUnsafeBytes { Edwards25519.montgomeryU(ofBaseMultiple: $0.baseAddress!) }
        var output = [UInt8](repeating: 0, count: keyByteCount)
        output.withUnsafeMutableBytes { u.encode(to: $0.baseAddress!) }
        ConstantTimeValidation.declassify(output)
        return output
    }

    /// RFC 7748 section 5: clear the three low bits and the top bit, set bit 254.
    static func clamped(_ scalar: [UInt8]) -> [UInt8] {
        var k = scalar
        k[0] &= 248
        k[31] &= 127
        k[31] |= 64
        return k
    }

    /// The shared secret X25519(privateKey, publicKey).
    /// - Throws: `CryptoError.invalidLength` for keys that are not 32 bytes;
    ///   `CryptoError.degenerateSharedSecret` when the result is all zeros
    ///   (a low-order public key, RFC 7748 section 6.1).
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        try CryptoError.requireLength("private key", privateKey.count, keyByteCount)
        try CryptoError.requireLength("public key", publicKey.count, keyByteCount)
        let secret = scalarMultiply(scalar: privateKey, point: publicKey)
        // Whether the result is degenerate is public (the handshake stops);
        // the result itself stays secret.
        guard !ConstantTimeValidation.declassify(ConstantTime.isAllZero(secret)) else { throw .degenerateSharedSecret }
        return secret
    }

    /// The ways to run the ladder.
    enum Implementation: Sendable, CaseIterable {
        /// `ladder` on `Field25519`, portable Swift.
        case portable
        /// The C kernel of x25519_bmi2.c (the same ladder with mulx and
        /// fewer carries); needs `CPUFeatures.bmi2`.
        case mulx

        /// What this process uses, decided once from `CPUFeatures.enabled`.
        static let selected: Implementation = CPUFeatures.enabled.contains(.bmi2) ? .mulx : .portable

        /// The name `CryptoImplementation` reports.
        var name: String {
            switch self {
            case .portable: "portable"
            case .mulx: "mulx"
            }
        }
    }

    /// The raw function X25519(k, u) of RFC 7748 section 5, with clamping,
    /// by `implementation`.
    static func scalarMultiply(scalar: [UInt8], point: [UInt8], by implementation: Implementation = .selected) -> [UInt8] {
        precondition(scalar.count == keyByteCount && point.count == keyByteCount, "X25519 inputs are 32 bytes")
        let k = clamped(scalar)
        var output = [UInt8](repeating: 0, count: keyByteCount)
        switch implementation {
        case .mulx:
            ckg_x25519_bmi2(&output, k, point)
        case .portable:
            let u = point.withUnsafeBytes { Field25519(bytes: $0.baseAddress!) }
            let result = k.withUnsafeBytes { ladder(scalar: $0.baseAddress!, u: u) }
            output.withUnsafeMutableBytes { result.encode(to: $0.baseAddress!) }
        }
        return output
    }

    /// The Montgomery ladder of RFC 7748 section 5, returning x2 / z2.
    @inlinable
    static func ladder(scalar: UnsafeRawPointer, u: Field25519) -> Field25519 {
        let x1 = u
        var x2 = Field25519.one, z2 = Field25519.zero
        var x3 = u, z3 = Field25519.one
        var swap: UInt64 = 0
        for t in stride(from: 254, through: 0, by: -1) {
            let bit = UInt64((scalar.load(fromByteOffset: t >> 3, as: UInt8.self) >> UInt8(t & 7)) & 1)
            swap ^= bit
            Field25519.conditionalSwap(&x2, &x3, swap)
            Field25519.conditionalSwap(&z2, &z3, swap)
            swap = bit

            let a = x2 + z2, b = x2 - z2
            let c = x3 + z3, d = x3 - z3
            let aa = a.squared(), bb = b.squared()
            let da = d * a, cb = c * b
            x3 = (da + cb).squared()
            z3 = x1 * (da - cb).squared()
            x2 = aa * bb
            let e = aa - bb
            z2 = e * (aa + e.multiplied(bySmall: 121_665))
        }
        Field25519.conditionalSwap(&x2, &x3, swap)
        Field25519.conditionalSwap(&z2, &z3, swap)
        return x2 * z2.inverted()
    }
}
