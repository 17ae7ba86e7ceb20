/// Text from other people made safe for a terminal: every character that
/// could drive the terminal or change how a line reads without being seen
/// is shown as a visible escape such as `<U+202E>`, never dropped silently,
/// so nobody can rewrite another line, fake a message, or disguise a name.
///
/// Escaped: C0 controls (tab and newline included: a line stays one line),
/// DEL, C1 controls, the bidirectional embeddings, overrides and isolates
/// (U+202A-202E, U+2066-2069) and marks, and every other invisible format
/// character (Unicode category Cf: zero-width spaces, word joiners, the
/// byte-order mark, tag characters), except a zero-width joiner between two
/// emoji, which only joins them into one picture.
public enum VisibleText {
    /// `text` with the characters above replaced by `<U+XXXX>`.
    public static func escaping(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var result = String.UnicodeScalarView()
        for (index, scalar) in scalars.enumerated() {
            guard mustEscape(scalar, after: index > 0 ? scalars[index - 1] : nil,
                             before: index + 1 < scalars.count ? scalars[index + 1] : nil)
            else {
                result.append(scalar)
                continue
            }
            let hex = String(scalar.value, radix: 16, uppercase: true)
            result.append(contentsOf: "<U+\(String(repeating: "0", count: max(0, 4 - hex.count)))\(hex)>".unicodeScalars)
        }
        return String(result)
    }

    static func mustEscape(_ scalar: Unicode.Scalar, after previous: Unicode.Scalar?, before next: Unicode.Scalar?) -> Bool {
        let value = scalar.value
        if value < 0x20 || value == 0x7F || (0x80..<0xA0).contains(value) { return true }
        if scalar.properties.generalCategory == .format {
            if value == 0x200D, let previous, let next, isEmoji(previous), isEmoji(next) { return false }
            return true
        }
        // Line and paragraph separators end a line as newline does.
        return value == 0x2028 || value == 0x2029
    }

    private static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isEmojiPresentation || (scalar.properties.isEmoji && scalar.value > 0xFF)
            || (0xFE00...0xFE0F).contains(scalar.value)
    }
}
