import CKeyGateCrypto

extension MontgomeryModulus {
    /// Window width of the exponentiation, in bits.
    static let windowBits = 4

    /// base^exponent mod p, for base < p given as limbs in normal form and a
    /// big-endian exponent; the result is in normal form. Computed by this
    /// modulus's `implementation`.
    func power(base: [UInt64], exponent: UnsafeRawBufferPointer) -> [UInt64] {
        power(base: base, exponent: exponent, by: implementation)
    }

    /// base^exponent mod p by `implementation` (which must be available for
    /// this limb count: `Implementation.mulx` needs BMI2 and 32, 48 or 64 limbs).
    ///
    /// Constant time in the exponent: every 4-bit window costs four
    /// squarings and one multiplication (zero digits included), and the table
    /// entry is picked by reading all sixteen entries and keeping one with
    /// masks, so neither the instruction sequence nor the memory addresses
    /// depend on the exponent's bits.
    func power(base: [UInt64], exponent: UnsafeRawBufferPointer, by implementation: Implementation) -> [UInt64] {
        let n = limbCount
        let tableSize = 1 << MontgomeryModulus.windowBits
        var storage = [UInt64](repeating: 0, count: tableSize * n + 5 * n + 2)
        var result = [UInt64](repeating: 0, count: n)
        storage.withUnsafeMutableBufferPointer { storage in
            modulus.withUnsafeBufferPointer { modulus in
                let p = modulus.baseAddress!
                let table = storage.baseAddress!
                var accumulator = table + tableSize * n
                var spare = accumulator + n
                let selected = spare + n
                let unit = selected + n
                let scratch = unit + n
                /// output = a * b / R; output aliases neither input.
                func product(_ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>) {
                    switch implementation {
                    case .portable: multiply(a, b, into: output, scratch: scratch)
                    case .mulx: ckg_montgomery_multiply_bmi2(output, a, b, p, negatedInverse, n)
                    }
                }
                /// output = a * a / R; output does not alias a.
                func square(_ a: UnsafePointer<UInt64>, into output: UnsafeMutablePointer<UInt64>) {
                    switch implementation {
                    case .portable: multiply(a, a, into: output, scratch: scratch)
                    case .mulx: ckg_montgomery_square_bmi2(output, a, p, negatedInverse, n)
                    }
                }
                montgomeryOne.withUnsafeBufferPointer { table.update(from: $0.baseAddress!, count: n) }
                base.withUnsafeBufferPointer { base in
                    rSquared.withUnsafeBufferPointer { rSquared in
                        product(base.baseAddress!, rSquared.baseAddress!, into: table + n)
                    }
                }
                for entry in 2..<tableSize {
                    product(table + (entry - 1) * n, table + n, into: table + entry * n)
                }
                accumulator.update(from: table, count: n)
                for byte in exponent {
                    for digit in [Int(byte >> 4), Int(byte & 0x0f)] {
                        for _ in 0..<MontgomeryModulus.windowBits {
                            square(accumulator, into: spare)
                            swap(&accumulator, &spare)
                        }
                        selectEntry(digit, from: table, entries: tableSize, into: selected)
                        product(accumulator, selected, into: spare)
                        swap(&accumulator, &spare)
                    }
                }
                // Leave Montgomery form: multiply by plain 1.
                unit.update(repeating: 0, count: n)
                unit[0] = 1
                result.withUnsafeMutableBufferPointer { result in
                    product(accumulator, unit, into: result.baseAddress!)
                }
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
