/// A number of bytes as people write it on a command line: `1048576`,
/// `512K`, `10M`, `1.5G`. The suffixes K, M, G and T (either case) are
/// powers of 1024, as in curl's `--limit-rate` (1K = 1024).
public enum ByteSize {
    /// The bytes `text` names, rounded down to whole bytes; nil when it is
    /// not a number >= 0 with an optional suffix, or does not fit Int64.
    public static func parse(_ text: String) -> Int64? {
        var digits = Substring(text)
        var multiplier: Double = 1
        if let last = digits.last, let power = "KMGT".firstIndex(of: Character(last.uppercased())) {
            multiplier = Double(1 << (10 * ("KMGT".distance(from: "KMGT".startIndex, to: power) + 1)))
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let number = Double(digits), number.isFinite
        else { return nil }
        let bytes = (number * multiplier).rounded(.down)
        guard bytes < Double(Int64.max) else { return nil }
        return Int64(bytes)
    }

    /// `bytes` the short way: `10M` or `1536K` when exact, else the number.
    public static func format(_ bytes: Int64) -> String {
        for (suffix, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] where bytes > 0 && bytes % (1 << shift) == 0 {
            return "\(bytes >> shift)\(suffix)"
        }
        return "\(bytes)"
    }
}
