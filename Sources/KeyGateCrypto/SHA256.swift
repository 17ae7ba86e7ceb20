import CKeyGateCrypto

/// SHA-256 (FIPS 180-4).
public enum SHA256 {
    /// Digest size in bytes.
    public static let byteCount = 32
    /// Block size in bytes (HMAC pads keys to this size).
    public static let blockByteCount = 64

    /// The SHA-256 digest of `message`: 32 bytes.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { hash($0) }
    }

    /// The SHA-256 digest of the bytes in `message`: 32 bytes.
    public static func hash(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(message)
        return hasher.finalize()
    }

    /// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
    /// the cube roots of the first 64 primes.
    @usableFromInline
    static let roundConstants: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    /// The eight working words of the hash (FIPS 180-4 section 5.3.3 gives
    /// the initial values).
    @usableFromInline
    struct State: Sendable {
        @usableFromInline var h0: UInt32 = 0x6a09e667, h1: UInt32 = 0xbb67ae85
        @usableFromInline var h2: UInt32 = 0x3c6ef372, h3: UInt32 = 0xa54ff53a
        @usableFromInline var h4: UInt32 = 0x510e527f, h5: UInt32 = 0x9b05688c
        @usableFromInline var h6: UInt32 = 0x1f83d9ab, h7: UInt32 = 0x5be0cd19

        @usableFromInline init() {}

        /// Writes the digest, big-endian, to `output` (32 bytes).
        @usableFromInline
        func write(to output: UnsafeMutableRawPointer) {
            output.storeBytes(of: h0.bigEndian, toByteOffset: 0, as: UInt32.self)
            output.storeBytes(of: h1.bigEndian, toByteOffset: 4, as: UInt32.self)
            output.storeBytes(of: h2.bigEndian, toByteOffset: 8, as: UInt32.self)
            output.storeBytes(of: h3.bigEndian, toByteOffset: 12, as: UInt32.self)
            output.storeBytes(of: h4.bigEndian, toByteOffset: 16, as: UInt32.self)
            output.storeBytes(of: h5.bigEndian, toByteOffset: 20, as: UInt32.self)
            output.storeBytes(of: h6.bigEndian, toByteOffset: 24, as: UInt32.self)
            output.storeBytes(of: h7.bigEndian, toByteOffset: 28, as: UInt32.self)
        }
    }

    /// The ways to run the compression function.
    enum Implementation: Sendable, CaseIterable {
        /// Portable Swift (`compressPortable`), on every CPU.
        case portable
        /// The C kernel with sha256rnds2 (sha256_shani.c), about four
        /// times faster; needs `CPUFeatures.sha`.
        case shaExtensions

        /// What this process uses, decided once from `CPUFeatures.enabled`.
        static let selected: Implementation = CPUFeatures.enabled.contains(.sha) ? .shaExtensions : .portable

        /// The name `CryptoImplementation` reports.
        var name: String {
            switch self {
            case .portable: "portable"
            case .shaExtensions: "sha-ni"
            }
        }
    }

    /// FIPS 180-4 section 6.2.2: runs the compression function over
    /// `blockCount` consecutive 64-byte blocks starting at `blocks`, by
    /// `implementation`. Every user of SHA-256 (HMAC, HKDF, the Noise
    /// handshake hash) comes through here, so each gets the fast path.
    static func compress(_ state: inout State, blocks: UnsafeRawPointer, blockCount: Int, by implementation: Implementation) {
        switch implementation {
        case .shaExtensions: compressWithSHAExtensions(&state, blocks: blocks, blockCount: blockCount)
        case .portable: compressPortable(&state, blocks: blocks, blockCount: blockCount)
        }
    }

    /// `compress` by the C kernel (CKeyGateCrypto's sha256_shani.c). Only
    /// for a CPU with `.sha`: elsewhere the kernel traps.
    static func compressWithSHAExtensions(_ state: inout State, blocks: UnsafeRawPointer, blockCount: Int) {
        // State is eight UInt32 stored properties, h0 to h7, which Swift
        // lays out in order without padding, as the kernel's uint32_t[8]
        // (SHA256Tests checks the layout).
        withUnsafeMutableBytes(of: &state) { words in
            ckg_sha256_compress_shani(
                words.baseAddress!.assumingMemoryBound(to: UInt32.self),
                blocks.assumingMemoryBound(to: UInt8.self), blockCount)
        }
    }

    /// The compression function in portable Swift, for every CPU.
    ///
    /// Written for throughput on a processor that issues four instructions
    /// a cycle: the rounds are unrolled eight at a time with the roles of
    /// the eight working variables rotated instead of moved (see
    /// `eightRounds`), the message schedule is unrolled eight words at a
    /// time, and the round constants are added to the schedule in one
    /// vectorizable pass. No table lookups depend on data: constant-time.
    static func compressPortable(_ state: inout State, blocks: UnsafeRawPointer, blockCount: Int) {
        roundConstants.withUnsafeBufferPointer { constants in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                let k = constants.baseAddress!
                let w = schedule.baseAddress!
                for blockIndex in 0..<blockCount {
                    let block = blocks + blockIndex * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in stride(from: 16, to: 64, by: 8) {
                        expandSchedule(w, t); expandSchedule(w, t + 1); expandSchedule(w, t + 2); expandSchedule(w, t + 3)
                        expandSchedule(w, t + 4); expandSchedule(w, t + 5); expandSchedule(w, t + 6); expandSchedule(w, t + 7)
                    }
                    // From here w[t] holds K[t] + W[t], the sum every round adds.
                    for t in 0..<64 {
                        w[t] &+= k[t]
                    }
                    var working = (state.h0, state.h1, state.h2, state.h3, state.h4, state.h5, state.h6, state.h7)
                    var bXorC = state.h1 ^ state.h2
                    for t in stride(from: 0, to: 64, by: 8) {
                        eightRounds(&working, &bXorC, w + t)
                    }
                    state.h0 &+= working.0; state.h1 &+= working.1; state.h2 &+= working.2; state.h3 &+= working.3
                    state.h4 &+= working.4; state.h5 &+= working.5; state.h6 &+= working.6; state.h7 &+= working.7
                }
            }
        }
    }

    /// W[t] = sigma1(W[t-2]) + W[t-7] + sigma0(W[t-15]) + W[t-16].
    ///
    /// Shifts distribute over XOR, so ROTR7 ^ ROTR18 = ROTR7(x ^ ROTR11(x)):
    /// two rotations instead of three, and the same for sigma1.
    @inlinable @inline(__always)
    static func expandSchedule(_ w: UnsafeMutablePointer<UInt32>, _ t: Int) {
        let x = w[t - 15], y = w[t - 2]
        let sigma0 = (x.rotatedRight(11) ^ x).rotatedRight(7) ^ (x >> 3)
        let sigma1 = (y.rotatedRight(2) ^ y).rotatedRight(17) ^ (y >> 10)
        w[t] = w[t - 16] &+ sigma0 &+ w[t - 7] &+ sigma1
    }

    @usableFromInline
    typealias WorkingVariables = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    /// Eight rounds, `kw` holding K[t] + W[t] for each. Each round changes
    /// only d and h (d += T1, h = T1 + T2); the next round then plays the
    /// same part with every variable one place further along (h is its a,
    /// a its b...), so after eight rounds every variable is back in its
    /// place without a single move.
    @inlinable @inline(__always)
    static func eightRounds(_ working: inout WorkingVariables, _ bXorC: inout UInt32, _ kw: UnsafePointer<UInt32>) {
        var (a, b, c, d, e, f, g, h) = working
        round(a, b, c, &d, e, f, g, &h, kw[0], &bXorC)
        round(h, a, b, &c, d, e, f, &g, kw[1], &bXorC)
        round(g, h, a, &b, c, d, e, &f, kw[2], &bXorC)
        round(f, g, h, &a, b, c, d, &e, kw[3], &bXorC)
        round(e, f, g, &h, a, b, c, &d, kw[4], &bXorC)
        round(d, e, f, &g, h, a, b, &c, kw[5], &bXorC)
        round(c, d, e, &f, g, h, a, &b, kw[6], &bXorC)
        round(b, c, d, &e, f, g, h, &a, kw[7], &bXorC)
        working = (a, b, c, d, e, f, g, h)
    }

    /// One round (FIPS 180-4 section 6.2.2 step 3), in fewer instructions:
    /// - Ch(e, f, g) = g ^ (e & (f ^ g)), three operations instead of four.
    /// - Maj(a, b, c) = b ^ ((a ^ b) & (b ^ c)), where b ^ c is the a ^ b
    ///   of the previous round, kept in `bXorC`.
    /// - Sigma0 nests its rotations, ROTR2(a ^ ROTR11(a ^ ROTR9(a))), which
    ///   needs no copies of a. Sigma1 keeps the three independent rotations:
    ///   e feeds the next round through T1, and nested rotations would
    ///   lengthen that chain (measured 5% slower).
    @inlinable @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32, _ bXorC: inout UInt32
    ) {
        let sigma1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
        let choose = g ^ (e & (f ^ g))
        let t1 = h &+ kw &+ choose &+ sigma1
        let sigma0 = ((a.rotatedRight(9) ^ a).rotatedRight(11) ^ a).rotatedRight(2)
        let aXorB = a ^ b
        let majority = b ^ (aXorB & bXorC)
        bXorC = aXorB
        d &+= t1
        h = t1 &+ sigma0 &+ majority
    }
}

extension UInt32 {
    @inlinable @inline(__always)
    func rotatedRight(_ count: UInt32) -> UInt32 {
        (self &>> count) | (self &<< (32 &- count))
    }

    @inlinable @inline(__always)
    func rotatedLeft(_ count: UInt32) -> UInt32 {
        (self &<< count) | (self &>> (32 &- count))
    }
}
