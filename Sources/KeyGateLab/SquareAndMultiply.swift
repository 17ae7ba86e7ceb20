/// base^exponent mod modulus on small numbers, kept step by step as a
/// textbook shows it: the exponent's bits from the most significant, a
/// squaring for each, and a multiplication by the base for each 1 bit.
public struct SquareAndMultiply: Sendable, Equatable {
    /// One bit of the exponent and what it did to the running result.
    public struct Step: Sendable, Equatable {
        /// The exponent bit (0 or 1).
        public let bit: Int
        /// The running result before this bit.
        public let before: UInt64
        /// before² mod modulus.
        public let squared: UInt64
        /// The new running result: `squared`, times the base mod modulus when the bit is 1.
        public let after: UInt64
    }

    public let base: UInt64
    public let exponent: UInt64
    public let modulus: UInt64
    public let steps: [Step]

    /// The largest modulus the lesson accepts: products of two residues
    /// must fit in 64 bits.
    public static let maximumModulus: UInt64 = 1 << 31

    /// Computes base^exponent mod modulus (modulus at most 2^31, at least 2).
    public init(base: UInt64, exponent: UInt64, modulus: UInt64) {
        precondition(modulus >= 2 && modulus <= Self.maximumModulus, "the lesson's modulus is between 2 and 2^31")
        self.base = base
        self.exponent = exponent
        self.modulus = modulus
        var steps: [Step] = []
        var result: UInt64 = 1
        let bitCount = exponent == 0 ? 0 : 64 - exponent.leadingZeroBitCount
        for position in stride(from: bitCount - 1, through: 0, by: -1) {
            let bit = Int((exponent >> UInt64(position)) & 1)
            let squared = result * result % modulus
            let after = bit == 1 ? squared * (base % modulus) % modulus : squared
            steps.append(Step(bit: bit, before: result, squared: squared, after: after))
            result = after
        }
        self.steps = steps
    }

    /// base^exponent mod modulus.
    public var result: UInt64 { steps.last?.after ?? 1 % modulus }

    /// The exponent in binary.
    public var exponentBits: String { String(exponent, radix: 2) }
}
