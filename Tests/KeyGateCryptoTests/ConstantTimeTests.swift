import Testing
@testable import KeyGateCrypto

/// The masks and comparisons that keep secrets out of branches and indexes.
struct ConstantTimeTests {
    static let edgeValues: [UInt64] = [0, 1, 2, 0x7F, 0x80, 0xFF, 1 << 31, 1 << 32, 1 << 62, 1 << 63, .max - 1, .max]

    @Test func masksAreAllOnesOrAllZeros() {
        #expect(ConstantTime.mask(1) == .max)
        #expect(ConstantTime.mask(0) == 0)
        for value in Self.edgeValues {
            #expect(ConstantTime.barrier(value) == value)
            for other in Self.edgeValues {
                #expect(ConstantTime.equalMask(value, other) == (value == other ? .max : 0), "\(value) \(other)")
            }
        }
    }

    @Test func equalsVisitsEveryByteAndComparesLengths() {
        let tag = [UInt8](0..<16)
        #expect(ConstantTime.equals(tag, tag))
        for index in tag.indices {
            for bit in 0..<8 {
                var other = tag
                other[index] ^= 1 << bit
                #expect(!ConstantTime.equals(tag, other))
            }
        }
        #expect(!ConstantTime.equals(tag, Array(tag.dropLast())))
        #expect(ConstantTime.equals([], []))
        #expect(ConstantTime.isAllZero([UInt8](repeating: 0, count: 32)))
        #expect(!ConstantTime.isAllZero([UInt8](repeating: 0, count: 31) + [0x80]))
        #expect(ConstantTime.isAllZero([]))
    }

    /// The constant-time comparison that validates FFDHE public values
    /// agrees with the ordinary one, on edge and random limbs.
    @Test func lessMaskAgreesWithTheOrdinaryComparison() {
        var cases: [([UInt64], [UInt64])] = []
        for a in Self.edgeValues {
            for b in Self.edgeValues {
                cases.append(([a, 5], [b, 5]))
                cases.append(([5, a], [5, b]))
                cases.append(([a, a, b], [b, a, a]))
            }
        }
        for _ in 0..<1000 {
            let count = Int.random(in: 1...8)
            let a = (0..<count).map { _ in UInt64.random(in: 0...3) }
            let b = (0..<count).map { _ in UInt64.random(in: 0...3) }
            cases.append((a, b))
        }
        for (a, b) in cases {
            #expect(MontgomeryModulus.lessMask(a, b) == (MontgomeryModulus.isLess(a, b) ? .max : 0), "\(a) < \(b)")
        }
    }
}
