/// Byte comparisons as masks, without a branch: 0xFF when the comparison
/// holds, 0 when it does not. Used where the bytes may be a private key
/// (base64 decoding and encoding, the split of a key line), so that no
/// branch or memory index depends on them. Each is a subtraction whose
/// borrow lands in bit 8, the operands being below 256.
enum ByteMask {
    /// 0xFF if a < b (both below 256).
    @inline(__always)
    static func isLess(_ a: UInt32, _ b: UInt32) -> UInt32 {
        ((a &- b) >> 8) & 0xFF
    }

    /// 0xFF if a == b.
    @inline(__always)
    static func isEqual(_ a: UInt8, _ b: UInt8) -> UInt32 {
        isLess(UInt32(a ^ b), 1)
    }

    /// 0xFF if low <= a <= high (all below 256).
    @inline(__always)
    static func isInRange(_ a: UInt32, _ low: UInt32, _ high: UInt32) -> UInt32 {
        (isLess(a, low) | isLess(high, a)) ^ 0xFF
    }

    /// 0xFF if `value` (any 32 bits) is not zero.
    @inline(__always)
    static func isNonZero(_ value: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: (0 &- UInt64(value)) >> 56) & 0xFF
    }
}
