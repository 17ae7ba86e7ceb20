import CKeyGateCrypto

/// The Poly1305 one-time authenticator (RFC 8439 section 2.5).
///
/// Arithmetic modulo 2^130 - 5 in radix 2^64: the accumulator is h0 + h1*2^64
/// + h2*2^128 with h2 small, products are 128-bit (`UInt128`), and the
/// reduction uses 2^130 = 5 (mod p). Every step is the same sequence of
/// multiplications, additions and masks whatever the key and message, and
/// the final "subtract p if h >= p" is a mask select: constant-time. On a
/// CPU with AVX2 and BMI2 the C kernels of CKeyGateCrypto run instead
/// (poly1305_avx2.c, lanes of 26-bit limbs, and poly1305_bmi2.c, this
/// arithmetic with mulx), chosen once by `ChaChaPolyKernel.selected`.
public enum Poly1305 {
    public static let keyByteCount = 32
    public static let tagByteCount = 16

    /// The 16-byte tag of `message` under the one-time `key` (32 bytes).
    /// - Throws: `CryptoError.invalidLength` for a wrong key size.
    public static func authenticate(message: [UInt8], key: [UInt8]) throws(CryptoError) -> [UInt8] {
        try authenticate(message: message, key: key, kernel: ChaChaPolyKernel.selected)
    }

    /// `authenticate` on the given kernel.
    static func authenticate(message: [UInt8], key: [UInt8], kernel: ChaChaPolyKernel) throws(CryptoError) -> [UInt8] {
        try CryptoError.requireLength("key", key.count, keyByteCount)
        switch kernel {
        case .portable:
            return authenticatePortable(message: message, key: key)
        case .avx2, .avx512:
            let authenticate = kernel == .avx2 ? ckg_poly1305_avx2_authenticate : ckg_poly1305_avx512_authenticate
            var tag = [UInt8](repeating: 0, count: tagByteCount)
            tag.withUnsafeMutableBytes { tag in
                key.withUnsafeBytes { key in
                    message.withUnsafeBytes { message in
                        authenticate(
                            key.baseAddress!.assumingMemoryBound(to: UInt8.self),
                            message.baseAddress?.assumingMemoryBound(to: UInt8.self), message.count,
                            tag.baseAddress!.assumingMemoryBound(to: UInt8.self))
                    }
                }
            }
            return tag
        }
    }

    /// The portable Swift Poly1305 of `message` under a 32-byte `key`.
    static func authenticatePortable(message: [UInt8], key: [UInt8]) -> [UInt8] {
        var state = key.withUnsafeBytes { State(key: $0.baseAddress!) }
        message.withUnsafeBytes { message in
            let fullBlocks = message.count / 16
            if fullBlocks > 0 {
                state.absorbBlocks(message.baseAddress!, count: fullBlocks)
            }
            let tail = message.count - fullBlocks * 16
            if tail > 0 {
                // Section 2.5.1: the last partial block gets a 0x01 byte after
                // the data and no 2^128 bit.
                withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { block in
                    block.initializeMemory(as: UInt8.self, repeating: 0)
                    block.baseAddress!.copyMemory(from: message.baseAddress! + fullBlocks * 16, byteCount: tail)
                    block[tail] = 1
                    state.absorbBlocks(UnsafeRawPointer(block.baseAddress!), count: 1, highBit: 0)
                }
            }
        }
        var tag = [UInt8](repeating: 0, count: tagByteCount)
        tag.withUnsafeMutableBytes { state.finalize(into: $0.baseAddress!) }
        return tag
    }

    /// The running state of one authentication.
    @usableFromInline
    struct State {
        @usableFromInline var r0: UInt64, r1: UInt64
        @usableFromInline var h0: UInt64 = 0, h1: UInt64 = 0, h2: UInt64 = 0
        @usableFromInline var s0: UInt64, s1: UInt64

        /// Section 2.5: r is the clamped first half of the key, s the second.
        @inlinable
        init(key: UnsafeRawPointer) {
            r0 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 0, as: UInt64.self)) & 0x0fff_fffc_0fff_ffff
            r1 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 8, as: UInt64.self)) & 0x0fff_fffc_0fff_fffc
            s0 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            s1 = UInt64(littleEndian: key.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
        }

        /// Absorbs `count` 16-byte blocks, each with 2^128 added (`highBit`
        /// 1) as for full blocks, or not (0) for a padded final block.
        @inlinable @inline(__always)
        mutating func absorbBlocks(_ blocks: UnsafeRawPointer, count: Int, highBit: UInt64 = 1) {
            // r1 has its low two bits clamped to zero, so h1*r1*2^128 =
            // h1*(r1/4)*2^130 = h1*(r1/4)*5 (mod p), folded in as h1 * rr1.
            let r0 = self.r0, r1 = self.r1, rr1 = r1 &+ (r1 >> 2)
            var h0 = self.h0, h1 = self.h1, h2 = self.h2
            var block = blocks
            for _ in 0..<count {
                let m0 = UInt64(littleEndian: block.loadUnaligned(as: UInt64.self))
                let m1 = UInt64(littleEndian: block.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
                block += 16
                // h += m. Carries go through 128-bit sums (add, adc), never
                // through a Bool: LLVM may turn `carry ? 1 : 0` into a
                // branch on the carry, which depends on secret data.
                let sum0 = UInt128(h0) &+ UInt128(m0)
                let sum1 = UInt128(h1) &+ UInt128(m1) &+ (sum0 &>> 64)
                h0 = UInt64(truncatingIfNeeded: sum0)
                h1 = UInt64(truncatingIfNeeded: sum1)
                h2 = h2 &+ UInt64(truncatingIfNeeded: sum1 &>> 64) &+ highBit
                // h *= r, partially reduced modulo 2^130 - 5.
                let d0 = UInt128(h0) &* UInt128(r0) &+ UInt128(h1) &* UInt128(rr1)
                let d1 = UInt128(h0) &* UInt128(r1) &+ UInt128(h1) &* UInt128(r0) &+ UInt128(h2 &* rr1)
                let d2 = h2 &* r0
                let d1c = d1 &+ (d0 &>> 64)
                h2 = d2 &+ UInt64(truncatingIfNeeded: d1c &>> 64)
                // Fold the bits above 2^130 back in, times 5: c = (h2 >> 2) * 5.
                let c = (h2 >> 2) &+ (h2 & ~3)
                let fold0 = UInt128(UInt64(truncatingIfNeeded: d0)) &+ UInt128(c)
                let fold1 = UInt128(UInt64(truncatingIfNeeded: d1c)) &+ (fold0 &>> 64)
                h0 = UInt64(truncatingIfNeeded: fold0)
                h1 = UInt64(truncatingIfNeeded: fold1)
                h2 = (h2 & 3) &+ UInt64(truncatingIfNeeded: fold1 &>> 64)
            }
            self.h0 = h0; self.h1 = h1; self.h2 = h2
        }

        /// Absorbs the whole blocks from `cursor` up to `end`, at most `limit`
        /// of them, and moves `cursor` past them.
        @inlinable @inline(__always)
        mutating func absorbBlocks(from cursor: inout UnsafeRawPointer, upTo end: UnsafeRawPointer, limit: Int) {
            let count = min(limit, (end - cursor) / 16)
            guard count > 0 else { return }
            absorbBlocks(cursor, count: count)
            cursor += count * 16
        }

        /// Absorbs `byteCount` bytes, zero-padding a final partial block to
        /// 16 bytes (the AEAD construction of section 2.8 pads this way).
        @inlinable
        mutating func absorbPadded(_ bytes: UnsafeRawPointer?, byteCount: Int) {
            guard let bytes, byteCount > 0 else { return }
            let fullBlocks = byteCount / 16
            if fullBlocks > 0 { absorbBlocks(bytes, count: fullBlocks) }
            let tail = byteCount - fullBlocks * 16
            guard tail > 0 else { return }
            withUnsafeTemporaryAllocation(byteCount: 16, alignment: 8) { block in
                block.initializeMemory(as: UInt8.self, repeating: 0)
                block.baseAddress!.copyMemory(from: bytes + fullBlocks * 16, byteCount: tail)
                absorbBlocks(UnsafeRawPointer(block.baseAddress!), count: 1)
            }
        }

        /// Writes the tag (h mod p) + s mod 2^128 to `output` (16 bytes).
        @inlinable
        func finalize(into output: UnsafeMutableRawPointer) {
            // g = h + 5 - 2^130: if that does not borrow, h >= p and g is the
            // result. Carries go through 128-bit sums, as in absorbBlocks.
            let g0 = UInt128(h0) &+ 5
            let g1 = UInt128(h1) &+ (g0 &>> 64)
            let g2 = h2 &+ UInt64(truncatingIfNeeded: g1 &>> 64)
            let useG = ConstantTime.mask(g2 >> 2)
            let t0 = (h0 & ~useG) | (UInt64(truncatingIfNeeded: g0) & useG)
            let t1 = (h1 & ~useG) | (UInt64(truncatingIfNeeded: g1) & useG)
            let tag = (UInt128(t1) << 64 | UInt128(t0)) &+ (UInt128(s1) << 64 | UInt128(s0))
            output.storeBytes(of: UInt64(truncatingIfNeeded: tag).littleEndian, toByteOffset: 0, as: UInt64.self)
            output.storeBytes(of: UInt64(truncatingIfNeeded: tag &>> 64).littleEndian, toByteOffset: 8, as: UInt64.self)
        }
    }
}
