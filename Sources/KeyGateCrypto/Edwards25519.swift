/// Fixed-base scalar multiplication on edwards25519, used to compute X25519
/// public keys about three times faster than the Montgomery ladder.
///
/// X25519's base point u = 9 is the image of the Ed25519 base point B under
/// the birational map u = (1 + y) / (1 - y), and the map commutes with
/// scalar multiplication, so k * 9 on the Montgomery curve is the u of k * B.
/// k * B is computed with a precomputed table of j * 256^i * B (i < 32,
/// 1 <= j <= 8) and signed radix-16 digits, as in the ref10 code of
/// "High-speed high-security signatures" (Bernstein et al., 2011): 64 mixed
/// additions and 4 doublings instead of 255 ladder steps.
///
/// Constant time: the digits are recoded with arithmetic only; each table
/// lookup reads all eight entries of its row and keeps one with masks; the
/// sign is applied with masks; the additions and doublings are the same
/// sequence of field operations for every scalar.
enum Edwards25519 {
    /// A point in extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z.
    struct ExtendedPoint {
        var x: Field25519, y: Field25519, z: Field25519, t: Field25519

        static let identity = ExtendedPoint(x: .zero, y: .one, z: .one, t: .zero)
    }

    /// An affine point prepared for mixed addition: (y + x, y - x, 2*d*x*y).
    struct PreparedPoint {
        var yPlusX: Field25519, yMinusX: Field25519, xy2d: Field25519

        static let identity = PreparedPoint(yPlusX: .one, yMinusX: .one, xy2d: .zero)
    }

    /// d = -121665/121666 and 2d, in limbs.
    static let d2 = Field25519(0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff)

    /// The Ed25519 base point B (y = 4/5, x positive).
    static let basePoint: ExtendedPoint = {
        let x = Field25519(0x62d608f25d51a, 0x412a4b4f6592a, 0x75b7171a4b31d, 0x1ff60527118fe, 0x216936d3cd6e5)
        let y = Field25519(0x6666666666658, 0x4cccccccccccc, 0x1999999999999, 0x3333333333333, 0x6666666666666)
        return ExtendedPoint(x: x, y: y, z: .one, t: x * y)
    }()

    /// table[i][j - 1] = j * 256^i * B, for i < 32 and 1 <= j <= 8.
    /// Computed once, from B, on first use (about a millisecond).
    static let table: [[PreparedPoint]] = {
        var rows: [[PreparedPoint]] = []
        var rowBase = basePoint
        for _ in 0..<32 {
            var row: [PreparedPoint] = []
            var multiple = rowBase
            for j in 1...8 {
                row.append(prepare(multiple))
                if j < 8 { multiple = add(multiple, rowBase) }
            }
            rows.append(row)
            // 256 * rowBase: eight doublings.
            for _ in 0..<8 { rowBase = double(rowBase) }
        }
        return rows
    }()

    /// The Montgomery u-coordinate of scalar * B, for a clamped 32-byte
    /// little-endian scalar (its top bit clear).
    static func montgomeryU(ofBaseMultiple scalar: UnsafeRawPointer) -> Field25519 {
        let digits = signedDigits(scalar)
        let rows = table
        var h = ExtendedPoint.identity
        for i in stride(from: 1, to: 64, by: 2) {
            h = addPrepared(h, select(rows[i / 2], digits[i]))
        }
        for _ in 0..<4 { h = double(h) }
        for i in stride(from: 0, to: 64, by: 2) {
            h = addPrepared(h, select(rows[i / 2], digits[i]))
        }
        // u = (1 + y) / (1 - y) = (Z + Y) / (Z - Y).
        return (h.z + h.y) * (h.z - h.y).inverted()
    }

    /// The scalar as 64 signed radix-16 digits in [-8, 8]: scalar =
    /// sum of digit[i] * 16^i. Arithmetic only, no branches on the scalar.
    static func signedDigits(_ scalar: UnsafeRawPointer) -> [Int8] {
        var digits = [Int8](repeating: 0, count: 64)
        for index in 0..<32 {
            let byte = scalar.load(fromByteOffset: index, as: UInt8.self)
            digits[2 * index] = Int8(byte & 15)
            digits[2 * index + 1] = Int8(byte >> 4)
        }
        var carry: Int8 = 0
        for index in 0..<63 {
            digits[index] &+= carry
            carry = (digits[index] &+ 8) >> 4
            digits[index] &-= carry << 4
        }
        digits[63] &+= carry
        return digits
    }

    /// row[|digit| - 1], negated when digit < 0, or the identity for 0:
    /// reads every entry and keeps one with masks.
    static func select(_ row: [PreparedPoint], _ digit: Int8) -> PreparedPoint {
        let negativeBit = UInt8(bitPattern: digit) >> 7
        // |digit| = digit - 2 * digit when negative: masks, no branch.
        let magnitude = UInt8(bitPattern: digit &- ((Int8(bitPattern: 0 &- negativeBit) & digit) &<< 1))
        let negative = UInt64(negativeBit)
        var chosen = PreparedPoint.identity
        for j in 0..<8 {
            let mask = ConstantTime.equalMask(UInt64(magnitude), UInt64(j + 1))
            conditionalMove(&chosen.yPlusX, row[j].yPlusX, mask)
            conditionalMove(&chosen.yMinusX, row[j].yMinusX, mask)
            conditionalMove(&chosen.xy2d, row[j].xy2d, mask)
        }
        // -P = (y - x, y + x, -2dxy): swap and negate under the sign mask.
        let signMask = ConstantTime.mask(negative)
        var swapped = chosen
        swapped.yPlusX = chosen.yMinusX
        swapped.yMinusX = chosen.yPlusX
        swapped.xy2d = Field25519.zero - chosen.xy2d
        conditionalMove(&chosen.yPlusX, swapped.yPlusX, signMask)
        conditionalMove(&chosen.yMinusX, swapped.yMinusX, signMask)
        conditionalMove(&chosen.xy2d, swapped.xy2d, signMask)
        return chosen
    }

    @inline(__always)
    static func conditionalMove(_ target: inout Field25519, _ source: Field25519, _ mask: UInt64) {
        target.l0 ^= mask & (target.l0 ^ source.l0)
        target.l1 ^= mask & (target.l1 ^ source.l1)
        target.l2 ^= mask & (target.l2 ^ source.l2)
        target.l3 ^= mask & (target.l3 ^ source.l3)
        target.l4 ^= mask & (target.l4 ^ source.l4)
    }

    /// p + q for a prepared q (the "madd" formula, a = -1).
    static func addPrepared(_ p: ExtendedPoint, _ q: PreparedPoint) -> ExtendedPoint {
        let a = (p.y - p.x) * q.yMinusX
        let b = (p.y + p.x) * q.yPlusX
        let c = p.t * q.xy2d
        let d = p.z + p.z
        let e = b - a, f = d - c, g = d + c, h = b + a
        return ExtendedPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// p + q in extended coordinates ("add-2008-hwcd-3", a = -1).
    static func add(_ p: ExtendedPoint, _ q: ExtendedPoint) -> ExtendedPoint {
        let a = (p.y - p.x) * (q.y - q.x)
        let b = (p.y + p.x) * (q.y + q.x)
        let c = p.t * d2 * q.t
        let zz = p.z * q.z
        let d = zz + zz
        let e = b - a, f = d - c, g = d + c, h = b + a
        return ExtendedPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// 2p ("dbl-2008-hwcd", a = -1).
    static func double(_ p: ExtendedPoint) -> ExtendedPoint {
        let a = p.x.squared()
        let b = p.y.squared()
        let zz = p.z.squared()
        let c = zz + zz
        let negatedA = Field25519.zero - a
        let e = (p.x + p.y).squared() - a - b
        let g = negatedA + b
        let f = g - c
        let h = negatedA - b
        return ExtendedPoint(x: e * f, y: g * h, z: f * g, t: e * h)
    }

    /// The affine (y + x, y - x, 2dxy) of p.
    static func prepare(_ p: ExtendedPoint) -> PreparedPoint {
        let inverse = p.z.inverted()
        let x = p.x * inverse, y = p.y * inverse
        return PreparedPoint(yPlusX: (y + x).carried(), yMinusX: y - x, xy2d: x * y * d2)
    }
}
