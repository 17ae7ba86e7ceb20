import CKeyGateCrypto

/// The ChaCha20 stream cipher (RFC 8439 section 2.4): 256-bit key, 96-bit
/// nonce, 32-bit block counter.
///
/// The keystream is produced four blocks at a time: each of the sixteen
/// state words is a `SIMD4<UInt32>` whose lanes belong to four consecutive
/// blocks, so every vector instruction advances four blocks at once (the
/// last 128 bytes or less of a message take two blocks side by side, see
/// ChaCha20+TwoBlocks.swift). The code targets baseline x86-64, SSE2 only:
/// see `rotate` and `xorRotate16` for how the rotations stay in vector
/// registers. On a CPU with AVX2 the C kernel of CKeyGateCrypto
/// (chacha20_avx2.c, eight blocks per pass) runs instead, chosen once by
/// `ChaChaPolyKernel.selected`. There are no table lookups and no branches
/// on key or data: ChaCha20 is constant-time by construction.
public enum ChaCha20 {
    public static let keyByteCount = 32
    public static let nonceByteCount = 12
    public static let blockByteCount = 64

    /// A key as the eight little-endian words of RFC 8439 section 2.3.
    public struct Key: Sendable {
        @usableFromInline let words: SIMD8<UInt32>

        /// - Throws: `CryptoError.invalidLength` unless `bytes` has 32 bytes.
        public init(_ bytes: [UInt8]) throws(CryptoError) {
            try CryptoError.requireLength("key", bytes.count, keyByteCount)
            words = bytes.withUnsafeBytes { Key.load($0.baseAddress!) }
        }

        /// Reads 32 key bytes at `pointer`.
        @inlinable
        public init(bytesAt pointer: UnsafeRawPointer) {
            words = Key.load(pointer)
        }

        @inlinable
        static func load(_ pointer: UnsafeRawPointer) -> SIMD8<UInt32> {
            var words = SIMD8<UInt32>()
            for index in 0..<8 {
                words[index] = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
            }
            return words
        }
    }

    /// A 96-bit nonce as three little-endian words.
    public struct Nonce: Sendable {
        @usableFromInline let words: SIMD4<UInt32>

        /// - Throws: `CryptoError.invalidLength` unless `bytes` has 12 bytes.
        public init(_ bytes: [UInt8]) throws(CryptoError) {
            try CryptoError.requireLength("nonce", bytes.count, nonceByteCount)
            var words = SIMD4<UInt32>()
            bytes.withUnsafeBytes { raw in
                for index in 0..<3 {
                    words[index] = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))
                }
            }
            self.words = words
        }

        /// The Noise nonce layout (Noise section 12.3): four zero bytes, then
        /// the 64-bit counter little-endian.
        @inlinable
        public init(noiseCounter: UInt64) {
            words = SIMD4(0, UInt32(truncatingIfNeeded: noiseCounter), UInt32(truncatingIfNeeded: noiseCounter >> 32), 0)
        }
    }

    /// RFC 8439 section 2.1: the quarter round on four words.
    public static func quarterRound(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32
    ) -> (UInt32, UInt32, UInt32, UInt32) {
        var (a, b, c, d) = (a, b, c, d)
        a &+= b; d ^= a; d = d.rotatedLeft(16)
        c &+= d; b ^= c; b = b.rotatedLeft(12)
        a &+= b; d ^= a; d = d.rotatedLeft(8)
        c &+= d; b ^= c; b = b.rotatedLeft(7)
        return (a, b, c, d)
    }

    /// RFC 8439 section 2.3: the 64 serialized bytes of block `counter`.
    /// - Throws: `CryptoError.invalidLength` for a wrong key or nonce size.
    public static func block(key: [UInt8], counter: UInt32, nonce: [UInt8]) throws(CryptoError) -> [UInt8] {
        let key = try Key(key), nonce = try Nonce(nonce)
        var block = [UInt8](repeating: 0, count: blockByteCount)
        block.withUnsafeMutableBytes { xorKeyStream($0, key: key, nonce: nonce, counter: counter) }
        return block
    }

    /// RFC 8439 section 2.4: XORs `data` with the keystream starting at
    /// block `counter` (encryption and decryption are the same operation).
    /// - Throws: `CryptoError.invalidLength` for a wrong key or nonce size,
    ///   `CryptoError.messageTooLong` if the 32-bit block counter would wrap.
    public static func encrypt(_ data: [UInt8], key: [UInt8], nonce: [UInt8], counter: UInt32) throws(CryptoError) -> [UInt8] {
        let key = try Key(key), nonce = try Nonce(nonce)
        try checkCounterRange(byteCount: data.count, counter: counter)
        var output = data
        output.withUnsafeMutableBytes { xorKeyStream($0, key: key, nonce: nonce, counter: counter) }
        return output
    }

    /// Throws unless `byteCount` bytes starting at block `counter` stay
    /// within the 2^32 blocks of one nonce.
    @inlinable
    static func checkCounterRange(byteCount: Int, counter: UInt32) throws(CryptoError) {
        let blocks = (UInt64(byteCount) + 63) / 64
        let available = (UInt64(1) << 32) - UInt64(counter)
        guard blocks <= available else {
            throw .messageTooLong(byteCount: byteCount, maximum: Int(available * 64))
        }
    }

    /// XORs `buffer` in place with the keystream that starts at block
    /// `counter`. The caller guarantees the counter does not wrap.
    public static func xorKeyStream(_ buffer: UnsafeMutableRawBufferPointer, key: Key, nonce: Nonce, counter: UInt32) {
        xorKeyStream(buffer, key: key, nonce: nonce, counter: counter, kernel: ChaChaPolyKernel.selected)
    }

    /// `xorKeyStream` on the given kernel. A counter that passes 2^32 wraps
    /// to 0 with the nonce unchanged, on both.
    static func xorKeyStream(
        _ buffer: UnsafeMutableRawBufferPointer, key: Key, nonce: Nonce, counter: UInt32, kernel: ChaChaPolyKernel
    ) {
        switch kernel {
        case .portable:
            xorKeyStreamPortable(buffer, key: key, nonce: nonce, counter: counter)
        case .avx2, .avx512:
            guard let start = buffer.baseAddress, buffer.count > 0 else { return }
            let xor = kernel == .avx2 ? ckg_chacha20_avx2_xor : ckg_chacha20_avx512_xor
            withKernelWords(key: key, nonce: nonce) { key, nonce in
                xor(start.assumingMemoryBound(to: UInt8.self), buffer.count, key, nonce, counter)
            }
        }
    }

    /// The key's eight words and the nonce's three, as the C kernels take them.
    static func withKernelWords<Result>(
        key: Key, nonce: Nonce, _ body: (UnsafePointer<UInt32>, UnsafePointer<UInt32>) -> Result
    ) -> Result {
        withUnsafeBytes(of: key.words) { key in
            withUnsafeBytes(of: nonce.words) { nonce in
                body(key.baseAddress!.assumingMemoryBound(to: UInt32.self), nonce.baseAddress!.assumingMemoryBound(to: UInt32.self))
            }
        }
    }

    /// The portable Swift keystream: four blocks at a time, two for the
    /// last 128 bytes or less.
    static func xorKeyStreamPortable(_ buffer: UnsafeMutableRawBufferPointer, key: Key, nonce: Nonce, counter: UInt32) {
        guard let start = buffer.baseAddress else { return }
        var offset = 0
        var counter = counter
        while offset < buffer.count {
            xorChunk(into: start + offset, count: min(256, buffer.count - offset), key: key, nonce: nonce, counter: counter)
            offset += 256
            counter &+= 4
        }
    }

    /// XORs the keystream from block `counter` into the `count` bytes at
    /// `pointer`, at most 256: four blocks at once, or two side by side
    /// for 128 bytes or less. `work` runs between double rounds (see
    /// `fourBlocks`), `beforeXOR` once the keystream is ready.
    @inlinable @inline(__always)
    static func xorChunk(
        into pointer: UnsafeMutableRawPointer, count: Int, key: Key, nonce: Nonce, counter: UInt32,
        interleaving work: () -> Void = {}, beforeXOR: () -> Void = {}
    ) {
        if count > 2 * blockByteCount {
            fourBlocks(key: key, nonce: nonce, counter: counter, interleaving: work) { words in
                beforeXOR()
                xorWords(words, into: pointer, count: count)
            }
        } else {
            twoBlocks(key: key, nonce: nonce, counter: counter, interleaving: work) { rows in
                beforeXOR()
                xorRows(rows, into: pointer, count: count)
            }
        }
    }

    /// Sixteen state vectors of four blocks each, after the 20 rounds and the
    /// final addition.
    public typealias FourBlockWords = (
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>,
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>,
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>,
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>
    )

    /// Computes blocks `counter ..< counter + 4` and hands their words,
    /// lane j being block counter + j, to `body`.
    ///
    /// `work` runs after each of the first eight double rounds. The AEAD
    /// passes Poly1305 steps, scalar multiplications on general registers,
    /// so that the processor overlaps them with the vector rounds, where one
    /// after the other they would take the sum of their times.
    @inlinable @inline(__always)
    static func fourBlocks(
        key: Key, nonce: Nonce, counter: UInt32,
        interleaving work: () -> Void = {}, _ body: (FourBlockWords) -> Void
    ) {
        // RFC 8439 section 2.3: constants "expand 32-byte k", key, counter, nonce.
        let c0 = SIMD4<UInt32>(repeating: 0x6170_7865), c1 = SIMD4<UInt32>(repeating: 0x3320_646e)
        let c2 = SIMD4<UInt32>(repeating: 0x7962_2d32), c3 = SIMD4<UInt32>(repeating: 0x6b20_6574)
        let k = key.words
        let k0 = SIMD4(repeating: k[0]), k1 = SIMD4(repeating: k[1]), k2 = SIMD4(repeating: k[2]), k3 = SIMD4(repeating: k[3])
        let k4 = SIMD4(repeating: k[4]), k5 = SIMD4(repeating: k[5]), k6 = SIMD4(repeating: k[6]), k7 = SIMD4(repeating: k[7])
        let n0 = SIMD4(repeating: nonce.words[0]), n1 = SIMD4(repeating: nonce.words[1]), n2 = SIMD4(repeating: nonce.words[2])
        let ctr = SIMD4(repeating: counter) &+ SIMD4<UInt32>(0, 1, 2, 3)

        var x0 = c0, x1 = c1, x2 = c2, x3 = c3
        var x4 = k0, x5 = k1, x6 = k2, x7 = k3
        var x8 = k4, x9 = k5, x10 = k6, x11 = k7
        var x12 = ctr, x13 = n0, x14 = n1, x15 = n2
        for round in 0..<10 {
            quarterRound(&x0, &x4, &x8, &x12)
            quarterRound(&x1, &x5, &x9, &x13)
            quarterRound(&x2, &x6, &x10, &x14)
            quarterRound(&x3, &x7, &x11, &x15)
            quarterRound(&x0, &x5, &x10, &x15)
            quarterRound(&x1, &x6, &x11, &x12)
            quarterRound(&x2, &x7, &x8, &x13)
            quarterRound(&x3, &x4, &x9, &x14)
            if round < 8 { work() }
        }
        body((
            x0 &+ c0, x1 &+ c1, x2 &+ c2, x3 &+ c3,
            x4 &+ k0, x5 &+ k1, x6 &+ k2, x7 &+ k3,
            x8 &+ k4, x9 &+ k5, x10 &+ k6, x11 &+ k7,
            x12 &+ ctr, x13 &+ n0, x14 &+ n1, x15 &+ n2
        ))
    }

    @inlinable @inline(__always)
    static func quarterRound(
        _ a: inout SIMD4<UInt32>, _ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>
    ) {
        a &+= b; d = xorRotate16(d, a)
        c &+= d; b ^= c; b = rotate(b, 12)
        a &+= b; d ^= a; d = rotate(d, 8)
        c &+= d; b ^= c; b = rotate(b, 7)
    }

    /// (d ^ a) rotated left by 16 in every 32-bit lane: a swap of 16-bit
    /// halves, pshuflw + pshufhw.
    ///
    /// The XOR is done on 16-bit lanes on purpose: after an XOR on 32-bit
    /// lanes, LLVM lowers this very shuffle to pshuflw, pshufhw, psrld and
    /// a three-instruction blend.
    @inlinable @inline(__always)
    static func xorRotate16(_ d: SIMD4<UInt32>, _ a: SIMD4<UInt32>) -> SIMD4<UInt32> {
        let x = unsafeBitCast(d, to: SIMD8<UInt16>.self) ^ unsafeBitCast(a, to: SIMD8<UInt16>.self)
        let swapped = SIMD8<UInt16>(x[1], x[0], x[3], x[2], x[5], x[4], x[7], x[6])
        return unsafeBitCast(swapped, to: SIMD4<UInt32>.self)
    }

    /// Rotates every 32-bit lane left by `count`: pslld, psrld, paddd.
    ///
    /// The two halves are joined with `&+`, not `|`, on purpose. They share
    /// no bits, so the sum is the same value, but LLVM recognizes the `|`
    /// form as a rotate, which baseline x86-64 (SSE2) has no vector
    /// instruction for, and lowers it to four scalar `rol`s with lane
    /// extracts and inserts, five times slower. The sum is not matched as a
    /// rotate and stays three vector instructions.
    @inlinable @inline(__always)
    static func rotate(_ x: SIMD4<UInt32>, _ count: UInt32) -> SIMD4<UInt32> {
        (x &<< count) &+ (x &>> (32 &- count))
    }

    /// Transposes four state vectors so that row j holds the four words of
    /// block j: unpack 32-bit lanes, then 64-bit halves. Written through
    /// `SIMD2<UInt64>` so that LLVM emits the eight punpck instructions of
    /// the textbook 4x4 transpose; the same shuffles written on 32-bit
    /// lanes only come out as ten, half of them shufps.
    @inlinable @inline(__always)
    static func transpose(
        _ a: SIMD4<UInt32>, _ b: SIMD4<UInt32>, _ c: SIMD4<UInt32>, _ d: SIMD4<UInt32>
    ) -> (SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>) {
        let ab01 = unsafeBitCast(SIMD4(a[0], b[0], a[1], b[1]), to: SIMD2<UInt64>.self)
        let ab23 = unsafeBitCast(SIMD4(a[2], b[2], a[3], b[3]), to: SIMD2<UInt64>.self)
        let cd01 = unsafeBitCast(SIMD4(c[0], d[0], c[1], d[1]), to: SIMD2<UInt64>.self)
        let cd23 = unsafeBitCast(SIMD4(c[2], d[2], c[3], d[3]), to: SIMD2<UInt64>.self)
        return (
            unsafeBitCast(SIMD2(ab01[0], cd01[0]), to: SIMD4<UInt32>.self),
            unsafeBitCast(SIMD2(ab01[1], cd01[1]), to: SIMD4<UInt32>.self),
            unsafeBitCast(SIMD2(ab23[0], cd23[0]), to: SIMD4<UInt32>.self),
            unsafeBitCast(SIMD2(ab23[1], cd23[1]), to: SIMD4<UInt32>.self)
        )
    }

    /// XORs the first `count` (at most 256) keystream bytes in `words` into
    /// `pointer`: straight from registers for all 256, through a buffer
    /// for fewer.
    @inlinable @inline(__always)
    static func xorWords(_ words: FourBlockWords, into pointer: UnsafeMutableRawPointer, count: Int) {
        if count == 256 {
            xorWords(words, into: pointer)
        } else {
            withUnsafeTemporaryAllocation(byteCount: 256, alignment: 16) { keystream in
                storeWords(words, to: keystream.baseAddress!)
                xorBytes(UnsafeRawPointer(keystream.baseAddress!), into: pointer, count: count)
            }
        }
    }

    /// XORs the 256 keystream bytes in `words` into `pointer`.
    @inlinable @inline(__always)
    static func xorWords(_ words: FourBlockWords, into pointer: UnsafeMutableRawPointer) {
        xorGroup(words.0, words.1, words.2, words.3, into: pointer, wordOffset: 0)
        xorGroup(words.4, words.5, words.6, words.7, into: pointer, wordOffset: 4)
        xorGroup(words.8, words.9, words.10, words.11, into: pointer, wordOffset: 8)
        xorGroup(words.12, words.13, words.14, words.15, into: pointer, wordOffset: 12)
    }

    @inlinable @inline(__always)
    static func xorGroup(
        _ a: SIMD4<UInt32>, _ b: SIMD4<UInt32>, _ c: SIMD4<UInt32>, _ d: SIMD4<UInt32>,
        into pointer: UnsafeMutableRawPointer, wordOffset: Int
    ) {
        let rows = transpose(a, b, c, d)
        xorVector(rows.0, into: pointer + 0 * 64 + wordOffset * 4)
        xorVector(rows.1, into: pointer + 1 * 64 + wordOffset * 4)
        xorVector(rows.2, into: pointer + 2 * 64 + wordOffset * 4)
        xorVector(rows.3, into: pointer + 3 * 64 + wordOffset * 4)
    }

    @inlinable @inline(__always)
    static func xorVector(_ keystream: SIMD4<UInt32>, into pointer: UnsafeMutableRawPointer) {
        let data = pointer.loadUnaligned(as: SIMD4<UInt32>.self)
        pointer.storeBytes(of: data ^ keystream.littleEndianLanes, as: SIMD4<UInt32>.self)
    }

    /// Writes the 256 keystream bytes in `words` to `pointer`.
    @inlinable @inline(__always)
    static func storeWords(_ words: FourBlockWords, to pointer: UnsafeMutableRawPointer) {
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: 256)
        xorWords(words, into: pointer)
    }

    /// XORs `count` bytes of `keystream` into `pointer`: 16 at a time, then
    /// the last few one by one.
    @inlinable @inline(__always)
    static func xorBytes(_ keystream: UnsafeRawPointer, into pointer: UnsafeMutableRawPointer, count: Int) {
        var index = 0
        while index + 16 <= count {
            let data = pointer.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            let key = keystream.loadUnaligned(fromByteOffset: index, as: SIMD16<UInt8>.self)
            pointer.storeBytes(of: data ^ key, toByteOffset: index, as: SIMD16<UInt8>.self)
            index += 16
        }
        while index < count {
            let data = pointer.load(fromByteOffset: index, as: UInt8.self)
            let key = keystream.load(fromByteOffset: index, as: UInt8.self)
            pointer.storeBytes(of: data ^ key, toByteOffset: index, as: UInt8.self)
            index += 1
        }
    }
}

extension SIMD4 where Scalar == UInt32 {
    /// The lanes converted to little-endian byte order (a no-op on x86 and ARM).
    @inlinable @inline(__always)
    var littleEndianLanes: SIMD4<UInt32> {
        #if _endian(little)
        return self
        #else
        return SIMD4(self[0].littleEndian, self[1].littleEndian, self[2].littleEndian, self[3].littleEndian)
        #endif
    }
}
