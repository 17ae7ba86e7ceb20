extension Array where Element == UInt8 {
    /// Bytes from hexadecimal text (whitespace ignored). Traps on bad input:
    /// test data only.
    init(hex: String) {
        let digits = hex.filter { !$0.isWhitespace }.map { character -> UInt8 in
            guard let value = character.hexDigitValue else { preconditionFailure("bad hex digit \(character)") }
            return UInt8(value)
        }
        precondition(digits.count % 2 == 0, "odd number of hex digits")
        self = stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    var hex: String {
        map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
