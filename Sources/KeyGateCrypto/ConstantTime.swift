import CKeyGateSystem

/// Comparisons and selections whose running time does not depend on the
/// values compared, for use on secrets (tags, keys, shared secrets).
///
/// How they stay constant-time: every byte is visited whatever the data; the
/// differences are folded with OR into one accumulator and turned into a
/// result only once, at the end, so no branch or memory index depends on a
/// secret byte. The results are themselves secret: a caller that branches
/// on one (a tag matched) passes it through `ConstantTimeValidation.declassify`
/// first, which says that this outcome is public.
///
/// Masks go through `barrier`: LLVM otherwise proves that a mask is all
/// zeros or all ones and turns the masked select back into a branch. It did
/// so in the FFDHE window table lookup and the edwards25519 table lookup
/// (`Benchmarks/ct-check.sh` reported both).
public enum ConstantTime {
    /// Whether `a` and `b` hold the same bytes. Lengths are public: unequal
    /// lengths return `false` at once.
    @inlinable
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<a.count {
            difference |= a[index] ^ b[index]
        }
        return isZero(difference)
    }

    /// Whether `a` and `b` hold the same bytes (see the raw-buffer variant).
    @inlinable
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { a in b.withUnsafeBytes { b in equals(a, b) } }
    }

    /// Whether every byte is zero, visiting all of them.
    @inlinable
    public static func isAllZero(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var accumulator: UInt8 = 0
        for byte in bytes { accumulator |= byte }
        return isZero(accumulator)
    }

    /// Whether every byte is zero, visiting all of them.
    @inlinable
    public static func isAllZero(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isAllZero($0) }
    }

    /// 1 if `value` is zero, else 0, computed without a branch:
    /// (value - 1) borrows into bit 8 only when value was zero.
    @inlinable
    static func isZero(_ value: UInt8) -> Bool {
        let widened = UInt32(value)
        return ((widened &- 1) >> 8) & 1 == 1
    }

    /// All ones if `condition` is 1, all zeros if it is 0, hidden from the
    /// optimizer (see `barrier`).
    @inlinable @inline(__always)
    static func mask(_ condition: UInt64) -> UInt64 {
        barrier(0 &- condition)
    }

    /// All ones if `a == b`, else all zeros: (d | -d) has its top bit set
    /// exactly when d = a ^ b is not zero.
    @inlinable @inline(__always)
    static func equalMask(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let difference = a ^ b
        return mask(((difference | (0 &- difference)) >> 63) ^ 1)
    }

    /// `value` unchanged, but opaque to the optimizer, which can then no
    /// longer tell that a mask holds only two possible values (an empty
    /// assembly statement in CKeyGateSystem; no instruction).
    @inlinable @inline(__always)
    static func barrier(_ value: UInt64) -> UInt64 {
        ckg_value_barrier_u64(value)
    }
}
