extension MontgomeryModulus {
    /// Window width of the exponentiation, in bits.
    static let windowBits = 4

    /// base^exponent mod p, for base < p given as limbs in normal form and a
    /// big-endian exponent; the result is in normal form.
    ///
    /// Constant time in the exponent: every 4-bit window costs four
    /// squarings and one multiplication (zero digits included), and the table
    /// entry is picked by reading all sixteen entries and keeping one with
    /// masks, so neither the instruction sequence nor the memory addresses
    /// depend on the exponent's bits.
    func power(base: [UInt64], exponent: UnsafeRawBufferPointer) -> [UInt64] {
        let n = limbCount
        let tableSize = 1 << MontgomeryModulus.windowBits
        var storage = [UInt64](repeating: 0, count: tableSize * n + 5 * n + 2)
        var result = [UInt64](repeating: 0, count: n)
        storage.withUnsafeMutableBufferPointer { storage in
            let table = storage.baseAddress!
            var accumulator = table + tableSize * n
            var spare = accumulator + n
            let selected = spare + n
            let unit = selected + n
            let scratch = unit + n
            montgomeryOne.withUnsafeBufferPointer { table.update(from: $0.baseAddress!, count: n) }
            base.withUnsafeBufferPointer { base in
                rSquared.withUnsafeBufferPointer { rSquared in
                    multiply(base.baseAddress!, rSquared.baseAddress!, into: table + n, scratch: scratch)
                }
            }
            for entry in 2..<tableSize {
                multiply(table + (entry - 1) * n, table + n, into: table + entry * n, scratch: scratch)
            }
            accumulator.update(from: table, count: n)
            for byte in exponent {
                for digit in [Int(byte >> 4), Int(byte & 0x0f)] {
                    for _ in 0..<MontgomeryModulus.windowBits {
                        multiply(accumulator, accumulator, into: spare, scratch: scratch)
                        swap(&accumulator, &spare)
                    }
                    selectEntry(digit, from: table, entries: tableSize, into: selected)
                    multiply(accumulator, selected, into: spare, scratch: scratch)
                    swap(&accumulator, &spare)
                }
            }
            // Leave Montgomery form: multiply by plain 1.
            unit.update(repeating: 0, count: n)
            unit[0] = 1
            result.withUnsafeMutableBufferPointer { result in
                multiply(accumulator, unit, into: result.baseAddress!, scratch: scratch)
            }
            storage.update(repeating: 0)
        }
        return result
    }

    /// Copies table entry `index` to `output`, touching every entry.
    private func selectEntry(
        _ index: Int, from table: UnsafePointer<UInt64>, entries: Int, into output: UnsafeMutablePointer<UInt64>
    ) {
        let n = limbCount
        output.update(repeating: 0, count: n)
        for entry in 0..<entries {
            // All ones when entry == index, else zero, without a comparison
            // branch, and opaque to the optimizer: with a plain mask LLVM
            // turned this loop into a branch on the secret digit.
            let mask = ConstantTime.equalMask(UInt64(truncatingIfNeeded: entry), UInt64(truncatingIfNeeded: index))
            let row = table + entry * n
            for limb in 0..<n {
                output[limb] |= row[limb] & mask
            }
        }
    }
}
