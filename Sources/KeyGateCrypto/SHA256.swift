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
            for (index, word) in [h0, h1, h2, h3, h4, h5, h6, h7].enumerated() {
                output.storeBytes(of: word.bigEndian, toByteOffset: index * 4, as: UInt32.self)
            }
        }
    }

    /// FIPS 180-4 section 6.2.2: runs the compression function over
    /// `blockCount` consecutive 64-byte blocks starting at `blocks`.
    @usableFromInline
    static func compress(_ state: inout State, blocks: UnsafeRawPointer, blockCount: Int) {
        roundConstants.withUnsafeBufferPointer { constants in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { schedule in
                let k = constants.baseAddress!
                let w = schedule.baseAddress!
                for blockIndex in 0..<blockCount {
                    let block = blocks + blockIndex * 64
                    for t in 0..<16 {
                        w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t * 4, as: UInt32.self))
                    }
                    for t in 16..<64 {
                        let s0 = w[t - 15].rotatedRight(7) ^ w[t - 15].rotatedRight(18) ^ (w[t - 15] >> 3)
                        let s1 = w[t - 2].rotatedRight(17) ^ w[t - 2].rotatedRight(19) ^ (w[t - 2] >> 10)
                        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
                    }
                    var a = state.h0, b = state.h1, c = state.h2, d = state.h3
                    var e = state.h4, f = state.h5, g = state.h6, h = state.h7
                    for t in 0..<64 {
                        let sigma1 = e.rotatedRight(6) ^ e.rotatedRight(11) ^ e.rotatedRight(25)
                        let choose = (e & f) ^ (~e & g)
                        let t1 = h &+ sigma1 &+ choose &+ k[t] &+ w[t]
                        let sigma0 = a.rotatedRight(2) ^ a.rotatedRight(13) ^ a.rotatedRight(22)
                        let majority = (a & b) ^ (a & c) ^ (b & c)
                        let t2 = sigma0 &+ majority
                        h = g; g = f; f = e; e = d &+ t1
                        d = c; c = b; b = a; a = t1 &+ t2
                    }
                    state.h0 &+= a; state.h1 &+= b; state.h2 &+= c; state.h3 &+= d
                    state.h4 &+= e; state.h5 &+= f; state.h6 &+= g; state.h7 &+= h
                }
            }
        }
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
