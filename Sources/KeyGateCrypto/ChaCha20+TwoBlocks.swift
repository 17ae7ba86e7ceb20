/// Two ChaCha20 blocks side by side, for keystream of at most 128 bytes.
///
/// The four-block pass spends as much work on the lanes it does not need as
/// on those it does. Here each 4-word row of a block's state is one vector
/// (RFC 8439 section 2.3 layout): a column round is one quarter round on
/// the four rows, a diagonal round the same after rotating rows 1-3 by one,
/// two and three lanes (pshufd). It does about half the work of a four-block
/// pass, and its output is already in serialized order. Two independent
/// blocks are interleaved because one alone is a chain of dependent
/// instructions. No table lookups and no branches on key or data.
extension ChaCha20 {
    /// The four rows of two blocks, after the 20 rounds and the final addition.
    @usableFromInline typealias TwoBlockRows = (
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>,
        SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>, SIMD4<UInt32>
    )

    /// Computes blocks `counter` and `counter + 1` (rows 0-3 and 4-7 of the
    /// result) and hands them to `body`; `work` runs as in `fourBlocks`.
    @inlinable @inline(__always)
    static func twoBlocks(
        key: Key, nonce: Nonce, counter: UInt32,
        interleaving work: () -> Void = {}, _ body: (TwoBlockRows) -> Void
    ) {
        let row0 = SIMD4<UInt32>(0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574)
        let row1 = key.words.lowHalf, row2 = key.words.highHalf
        let first = SIMD4(counter, nonce.words[0], nonce.words[1], nonce.words[2])
        let second = first &+ SIMD4(1, 0, 0, 0)
        var a0 = row0, b0 = row1, c0 = row2, d0 = first
        var a1 = row0, b1 = row1, c1 = row2, d1 = second
        for round in 0..<10 {
            quarterRound(&a0, &b0, &c0, &d0)
            quarterRound(&a1, &b1, &c1, &d1)
            toDiagonals(&b0, &c0, &d0)
            toDiagonals(&b1, &c1, &d1)
            quarterRound(&a0, &b0, &c0, &d0)
            quarterRound(&a1, &b1, &c1, &d1)
            toColumns(&b0, &c0, &d0)
            toColumns(&b1, &c1, &d1)
            if round < 8 { work() }
        }
        body((a0 &+ row0, b0 &+ row1, c0 &+ row2, d0 &+ first, a1 &+ row0, b1 &+ row1, c1 &+ row2, d1 &+ second))
    }

    /// Rotates rows 1, 2, 3 left by one, two, three lanes: the diagonals
    /// (0, 5, 10, 15), (1, 6, 11, 12)... become columns.
    @inlinable @inline(__always)
    static func toDiagonals(_ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>) {
        b = SIMD4(b[1], b[2], b[3], b[0])
        c = SIMD4(c[2], c[3], c[0], c[1])
        d = SIMD4(d[3], d[0], d[1], d[2])
    }

    /// Undoes `toDiagonals`.
    @inlinable @inline(__always)
    static func toColumns(_ b: inout SIMD4<UInt32>, _ c: inout SIMD4<UInt32>, _ d: inout SIMD4<UInt32>) {
        b = SIMD4(b[3], b[0], b[1], b[2])
        c = SIMD4(c[2], c[3], c[0], c[1])
        d = SIMD4(d[1], d[2], d[3], d[0])
    }

    /// XORs the first `count` (at most 128) keystream bytes in `rows` into
    /// `pointer`: straight from registers for all 128, through a buffer
    /// for fewer.
    @inlinable @inline(__always)
    static func xorRows(_ rows: TwoBlockRows, into pointer: UnsafeMutableRawPointer, count: Int) {
        if count == 128 {
            xorRows(rows, into: pointer)
        } else {
            withUnsafeTemporaryAllocation(byteCount: 128, alignment: 16) { keystream in
                let stream = keystream.baseAddress!
                stream.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
                xorRows(rows, into: stream)
                xorBytes(UnsafeRawPointer(stream), into: pointer, count: count)
            }
        }
    }

    /// XORs the 128 keystream bytes in `rows` into `pointer`.
    @inlinable @inline(__always)
    static func xorRows(_ rows: TwoBlockRows, into pointer: UnsafeMutableRawPointer) {
        xorVector(rows.0, into: pointer)
        xorVector(rows.1, into: pointer + 16)
        xorVector(rows.2, into: pointer + 32)
        xorVector(rows.3, into: pointer + 48)
        xorVector(rows.4, into: pointer + 64)
        xorVector(rows.5, into: pointer + 80)
        xorVector(rows.6, into: pointer + 96)
        xorVector(rows.7, into: pointer + 112)
    }
}
