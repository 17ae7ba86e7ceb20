/// One line of a key file: `<algorithm> <base64 key> [comment]`
/// (PROTOCOL.md section 8).
///
/// Fields are separated by spaces or tabs. The comment is the rest of the
/// line after the key field, trimmed; it may contain spaces.
public struct KeyLine: Equatable, Sendable {
    /// The format, for messages.
    public static let format = "<algorithm> <base64 key> [comment]"

    /// The algorithm named by the first field.
    public var algorithm: KeyAlgorithm
    /// The decoded key; its size is checked by `publicKey()`/`privateKey()`.
    public var keyBytes: [UInt8]
    /// The text after the key, trimmed; nil when there is none.
    public var comment: String?

    /// A line from its parts. Control characters in `comment` become spaces
    /// and an empty comment becomes nil.
    public init(algorithm: KeyAlgorithm, keyBytes: [UInt8], comment: String? = nil) {
        self.algorithm = algorithm
        self.keyBytes = keyBytes
        self.comment = comment.flatMap { comment in
            let flattened = String(comment.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
            let trimmed = KeyLine.trimmed(flattened[...])
            return trimmed.isEmpty ? nil : String(trimmed)
        }
    }

    /// Parses one line (without its newline).
    /// - Throws: `KeyLineProblem.controlCharacter` (tab is a separator, not
    ///   a problem), `.missingFields`, `.unknownAlgorithm` or `.invalidBase64`.
    public init(parsing line: some StringProtocol) throws(KeyLineProblem) {
        let text = Substring(line)
        if let control = text.unicodeScalars.first(where: { $0.properties.generalCategory == .control && $0 != "\t" }) {
            throw .controlCharacter(control.value)
        }
        let (first, afterFirst) = KeyLine.nextField(text)
        guard !first.isEmpty else { throw .missingFields(expected: KeyLine.format) }
        guard let algorithm = KeyAlgorithm(rawValue: String(first)) else {
            throw .unknownAlgorithm(String(first))
        }
        let (second, afterSecond) = KeyLine.nextField(afterFirst)
        guard !second.isEmpty else { throw .missingFields(expected: KeyLine.format) }
        guard let bytes = Base64.decode(second) else { throw .invalidBase64 }
        let comment = KeyLine.trimmed(afterSecond)
        self.algorithm = algorithm
        self.keyBytes = bytes
        self.comment = comment.isEmpty ? nil : String(comment)
    }

    /// The line as written to files: padded base64, single spaces, no newline.
    public var text: String {
        var line = algorithm.rawValue + " " + Base64.encode(keyBytes)
        if let comment { line += " " + comment }
        return line
    }

    /// The public key on this line.
    /// - Throws: `KeyLineProblem.wrongKeySize`.
    public func publicKey() throws(KeyLineProblem) -> PublicKey {
        try PublicKey(validating: algorithm, bytes: keyBytes)
    }

    /// The private key on this line, with its public key derived.
    /// - Throws: `KeyLineProblem.wrongKeySize` or `.invalidPrivateKey`.
    public func privateKey() throws(KeyLineProblem) -> PrivateKey {
        try PrivateKey(validating: algorithm, bytes: keyBytes)
    }

    /// Whether a line holds nothing to parse: blank, or a `#` comment.
    public static func isIgnorable(_ line: some StringProtocol) -> Bool {
        let content = trimmed(Substring(line))
        return content.isEmpty || content.unicodeScalars.first == "#"
    }

    // Fields are split on Unicode scalars, not Characters: a combining mark
    // after a separator forms one Character with it, which would hide the
    // separator and glue a comment that starts with the mark to the key.

    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t"
    }

    /// The first field of `text` and what follows it.
    static func nextField(_ text: Substring) -> (field: Substring, rest: Substring) {
        let scalars = text.unicodeScalars
        let start = scalars.firstIndex { !isSeparator($0) } ?? scalars.endIndex
        let end = scalars[start...].firstIndex(where: isSeparator) ?? scalars.endIndex
        return (Substring(scalars[start..<end]), Substring(scalars[end...]))
    }

    static func trimmed(_ text: Substring) -> Substring {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSeparator($0) }),
              let last = scalars.lastIndex(where: { !isSeparator($0) })
        else { return Substring(scalars[scalars.endIndex...]) }
        return Substring(scalars[first...last])
    }
}
