/// An element of GF(2^255 - 19) in five 51-bit limbs (radix 2^51).
///
/// Limbs may exceed 51 bits between operations ("unreduced"); products are
/// computed in 128 bits and carried back to about 51 bits. No operation
/// branches on or indexes by limb values, so everything built on this type
/// (the X25519 ladder) runs in constant time.
@usableFromInline
struct Field25519: Sendable {
    @usableFromInline var l0: UInt64, l1: UInt64, l2: UInt64, l3: UInt64, l4: UInt64

    @usableFromInline static let mask51: UInt64 = (1 << 51) - 1

    @inlinable @inline(__always)
    init(_ l0: UInt64, _ l1: UInt64, _ l2: UInt64, _ l3: UInt64, _ l4: UInt64) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3; self.l4 = l4
    }

    @usableFromInline static let zero = Field25519(0, 0, 0, 0, 0)
    @usableFromInline static let one = Field25519(1, 0, 0, 0, 0)

    /// Decodes 32 little-endian bytes, ignoring the top bit (RFC 7748
    /// section 5: "implementations MUST mask the most significant bit").
    /// Values from p to 2^255 - 1 are accepted and reduce naturally.
    @inlinable
    init(bytes: UnsafeRawPointer) {
        let w0 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        let w1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        let w2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
        let w3 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        let m = Field25519.mask51
        self.init(w0 & m, (w0 >> 51 | w1 << 13) & m, (w1 >> 38 | w2 << 26) & m, (w2 >> 25 | w3 << 39) & m, (w3 >> 12) & m)
    }

    /// Writes the canonical encoding (fully reduced below p), 32 bytes
    /// little-endian.
    @inlinable
    func encode(to output: UnsafeMutableRawPointer) {
        var h = self.carried()
        // h < 2^255 + small: q = 1 exactly when h >= p, found by adding 19
        // and watching the carry out of bit 255; then subtract q * p.
        var q = (h.l0 &+ 19) >> 51
        q = (h.l1 &+ q) >> 51
        q = (h.l2 &+ q) >> 51
        q = (h.l3 &+ q) >> 51
        q = (h.l4 &+ q) >> 51
        h.l0 &+= 19 &* q
        let m = Field25519.mask51
        h.l1 &+= h.l0 >> 51; h.l0 &= m
        h.l2 &+= h.l1 >> 51; h.l1 &= m
        h.l3 &+= h.l2 >> 51; h.l2 &= m
        h.l4 &+= h.l3 >> 51; h.l3 &= m
        h.l4 &= m
        let words = (h.l0 | h.l1 << 51, h.l1 >> 13 | h.l2 << 38, h.l2 >> 26 | h.l3 << 25, h.l3 >> 39 | h.l4 << 12)
        output.storeBytes(of: words.0.littleEndian, toByteOffset: 0, as: UInt64.self)
        output.storeBytes(of: words.1.littleEndian, toByteOffset: 8, as: UInt64.self)
        output.storeBytes(of: words.2.littleEndian, toByteOffset: 16, as: UInt64.self)
        output.storeBytes(of: words.3.littleEndian, toByteOffset: 24, as: UInt64.self)
    }

    /// Propagates carries so that every limb is below 2^51 + 2^13.
    @inlinable @inline(__always)
    func carried() -> Field25519 {
        let m = Field25519.mask51
        var h = self
        h.l1 &+= h.l0 >> 51; h.l0 &= m
        h.l2 &+= h.l1 >> 51; h.l1 &= m
        h.l3 &+= h.l2 >> 51; h.l2 &= m
        h.l4 &+= h.l3 >> 51; h.l3 &= m
        h.l0 &+= 19 &* (h.l4 >> 51); h.l4 &= m
        h.l1 &+= h.l0 >> 51; h.l0 &= m
        return h
    }

    @inlinable @inline(__always)
    static func + (a: Field25519, b: Field25519) -> Field25519 {
        Field25519(a.l0 &+ b.l0, a.l1 &+ b.l1, a.l2 &+ b.l2, a.l3 &+ b.l3, a.l4 &+ b.l4)
    }

    /// a - b computed as a + 4p - b, so that no limb goes negative for
    /// operands whose limbs are below 2^53.
    @inlinable @inline(__always)
    static func - (a: Field25519, b: Field25519) -> Field25519 {
        let fourP0: UInt64 = 0x1f_ffff_ffff_ffb4, fourP: UInt64 = 0x1f_ffff_ffff_fffc
        return Field25519(
            (a.l0 &+ fourP0) &- b.l0, (a.l1 &+ fourP) &- b.l1, (a.l2 &+ fourP) &- b.l2,
            (a.l3 &+ fourP) &- b.l3, (a.l4 &+ fourP) &- b.l4
        ).carried()
    }

    @inlinable @inline(__always)
    static func * (a: Field25519, b: Field25519) -> Field25519 {
        // 2^255 = 19 (mod p): the products that land at 2^255 and above are
        // folded back with the factor 19.
        let b1 = b.l1 &* 19, b2 = b.l2 &* 19, b3 = b.l3 &* 19, b4 = b.l4 &* 19
        let r0 = wide(a.l0, b.l0) &+ wide(a.l1, b4) &+ wide(a.l2, b3) &+ wide(a.l3, b2) &+ wide(a.l4, b1)
        let r1 = wide(a.l0, b.l1) &+ wide(a.l1, b.l0) &+ wide(a.l2, b4) &+ wide(a.l3, b3) &+ wide(a.l4, b2)
        let r2 = wide(a.l0, b.l2) &+ wide(a.l1, b.l1) &+ wide(a.l2, b.l0) &+ wide(a.l3, b4) &+ wide(a.l4, b3)
        let r3 = wide(a.l0, b.l3) &+ wide(a.l1, b.l2) &+ wide(a.l2, b.l1) &+ wide(a.l3, b.l0) &+ wide(a.l4, b4)
        let r4 = wide(a.l0, b.l4) &+ wide(a.l1, b.l3) &+ wide(a.l2, b.l2) &+ wide(a.l3, b.l1) &+ wide(a.l4, b.l0)
        return reduce(r0, r1, r2, r3, r4)
    }

    @inlinable @inline(__always)
    func squared() -> Field25519 {
        let d0 = l0 &* 2, d1 = l1 &* 2, d2 = l2 &* 2 &* 19, d4 = l4 &* 19, d3 = l3 &* 19
        let r0 = wide(l0, l0) &+ wide(d1, d4) &+ wide(d2, l3)
        let r1 = wide(d0, l1) &+ wide(d2, l4) &+ wide(l3, d3)
        let r2 = wide(d0, l2) &+ wide(l1, l1) &+ wide(l3 &* 2, d4)
        let r3 = wide(d0, l3) &+ wide(d1, l2) &+ wide(l4, d4)
        let r4 = wide(d0, l4) &+ wide(d1, l3) &+ wide(l2, l2)
        return Field25519.reduce(r0, r1, r2, r3, r4)
    }

    /// Squares `count` times.
    @inlinable
    func squared(times count: Int) -> Field25519 {
        var result = self
        for _ in 0..<count { result = result.squared() }
        return result
    }

    /// Multiplies by a small constant (below 2^32).
    @inlinable @inline(__always)
    func multiplied(bySmall factor: UInt64) -> Field25519 {
        Field25519.reduce(wide(l0, factor), wide(l1, factor), wide(l2, factor), wide(l3, factor), wide(l4, factor))
    }

    /// self^(p-2) = 1/self (0 for 0), by the fixed addition chain for
    /// 2^255 - 21: 254 squarings and 11 multiplications for every input.
    @inlinable
    func inverted() -> Field25519 {
        let z2 = squared()
        let z9 = z2.squared(times: 2) * self
        let z11 = z9 * z2
        let z2_5_0 = z11.squared() * z9
        let z2_10_0 = z2_5_0.squared(times: 5) * z2_5_0
        let z2_20_0 = z2_10_0.squared(times: 10) * z2_10_0
        let z2_40_0 = z2_20_0.squared(times: 20) * z2_20_0
        let z2_50_0 = z2_40_0.squared(times: 10) * z2_10_0
        let z2_100_0 = z2_50_0.squared(times: 50) * z2_50_0
        let z2_200_0 = z2_100_0.squared(times: 100) * z2_100_0
        let z2_250_0 = z2_200_0.squared(times: 50) * z2_50_0
        return z2_250_0.squared(times: 5) * z11
    }

    /// Swaps `a` and `b` when `swap` is 1, leaves them when 0, using masks
    /// only (RFC 7748 section 5, cswap).
    @inlinable @inline(__always)
    static func conditionalSwap(_ a: inout Field25519, _ b: inout Field25519, _ swap: UInt64) {
        let mask = ConstantTime.mask(swap)
        var t = mask & (a.l0 ^ b.l0); a.l0 ^= t; b.l0 ^= t
        t = mask & (a.l1 ^ b.l1); a.l1 ^= t; b.l1 ^= t
        t = mask & (a.l2 ^ b.l2); a.l2 ^= t; b.l2 ^= t
        t = mask & (a.l3 ^ b.l3); a.l3 ^= t; b.l3 ^= t
        t = mask & (a.l4 ^ b.l4); a.l4 ^= t; b.l4 ^= t
    }

    /// Carries five 128-bit column sums down to 51-bit limbs.
    @inlinable @inline(__always)
    static func reduce(_ r0: UInt128, _ r1: UInt128, _ r2: UInt128, _ r3: UInt128, _ r4: UInt128) -> Field25519 {
        let m = mask51
        var r1 = r1, r2 = r2, r3 = r3, r4 = r4
        r1 &+= r0 >> 51; var h0 = UInt64(truncatingIfNeeded: r0) & m
        r2 &+= r1 >> 51; let h1 = UInt64(truncatingIfNeeded: r1) & m
        r3 &+= r2 >> 51; let h2 = UInt64(truncatingIfNeeded: r2) & m
        r4 &+= r3 >> 51; let h3 = UInt64(truncatingIfNeeded: r3) & m
        let carry = UInt64(truncatingIfNeeded: r4 >> 51)
        let h4 = UInt64(truncatingIfNeeded: r4) & m
        h0 &+= carry &* 19
        return Field25519(h0 & m, h1 &+ (h0 >> 51), h2, h3, h4)
    }
}

/// The full 128-bit product of two 64-bit limbs.
@inlinable @inline(__always)
func wide(_ a: UInt64, _ b: UInt64) -> UInt128 {
    UInt128(a) &* UInt128(b)
}
