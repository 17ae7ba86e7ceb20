import KeyGateSystem
import KeyGateCrypto

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
    ///
    /// The key field of a private key line is a secret, so the line is split
    /// without a branch or index on its bytes' values: each byte is first
    /// classified (separator, control character or other) with arithmetic,
    /// and only those classes, the line's layout, are read with branches.
    /// For a well-formed key they say nothing about the key (none of its
    /// characters is a separator or a control character), which is why they
    /// are declassified for the constant-time checker. The key field itself
    /// goes to the constant-time `Base64.decode`.
    public init(parsing line: some StringProtocol) throws(KeyLineProblem) {
        var text = String(line)
        self = try text.withUTF8 { utf8 in Result { () throws(KeyLineProblem) in try KeyLine(utf8: UnsafeRawBufferPointer(utf8)) } }.get()
    }

    /// `init(parsing:)` on the UTF-8 bytes of the line.
    private init(utf8 bytes: UnsafeRawBufferPointer) throws(KeyLineProblem) {
        let classes = KeyLine.classify(bytes)
        if let control = classes.firstIndex(of: .control) {
            throw .controlCharacter(KeyLine.controlScalar(in: bytes, at: control))
        }
        let (firstStart, firstEnd) = KeyLine.fieldBounds(classes, from: 0)
        guard firstStart < firstEnd else { throw .missingFields(expected: KeyLine.format) }
        let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[firstStart..<firstEnd]), as: UTF8.self)
        guard let algorithm = KeyAlgorithm(rawValue: name) else { throw .unknownAlgorithm(name) }
        let (keyStart, keyEnd) = KeyLine.fieldBounds(classes, from: firstEnd)
        guard keyStart < keyEnd else { throw .missingFields(expected: KeyLine.format) }
        guard let keyBytes = Base64.decode(utf8: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<keyEnd])) else {
            throw .invalidBase64
        }
        // The comment: what follows the key, without separators at either end.
        var commentStart = keyEnd, commentEnd = classes.count
        while commentStart < commentEnd && classes[commentStart] == .separator { commentStart += 1 }
        while commentEnd > commentStart && classes[commentEnd - 1] == .separator { commentEnd -= 1 }
        self.algorithm = algorithm
        self.keyBytes = keyBytes
        self.comment = commentStart == commentEnd
            ? nil
            : String(decoding: UnsafeRawBufferPointer(rebasing: bytes[commentStart..<commentEnd]), as: UTF8.self)
    }

    /// What a byte of a line is, as far as splitting the line is concerned.
    enum ByteClass: UInt8, BitwiseCopyable {
        /// Part of a field, or of a multi-byte character that is not a control.
        case other = 0
        /// A space or a tab.
        case separator = 1
        /// The first byte of a control character other than tab.
        case control = 2
    }

    /// The class of every byte of `bytes` (valid UTF-8), computed without a
    /// branch on their values, then declassified: the layout is public.
    ///
    /// Control characters are exactly the general category Cc, which Unicode
    /// fixes forever as U+0000-U+001F and U+007F-U+009F: bytes below 0x20
    /// (tab excepted) and 0x7F, or the two bytes C2 80 to C2 9F.
    static func classify(_ bytes: UnsafeRawBufferPointer) -> [ByteClass] {
        var codes = [UInt8](repeating: 0, count: bytes.count)
        for index in bytes.indices {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            let tab = ByteMask.isEqual(byte, 0x09)
            let separator = ByteMask.isEqual(byte, 0x20) | tab
            let asciiControl = (ByteMask.isLess(UInt32(byte), 0x20) & ~tab) | ByteMask.isEqual(byte, 0x7F)
            let latin1Control = ByteMask.isEqual(byte, 0xC2) & ByteMask.isInRange(UInt32(next), 0x80, 0x9F)
            codes[index] = UInt8(truncatingIfNeeded: (separator & 1) | ((asciiControl | latin1Control) & 2))
        }
        ConstantTimeValidation.declassify(codes)
        return codes.map { ByteClass(rawValue: $0)! }
    }

    /// The scalar value of the control character that starts at `index`.
    /// It ends the parse in an error message, so its bytes are public.
    private static func controlScalar(in bytes: UnsafeRawBufferPointer, at index: Int) -> UInt32 {
        let count = min(2, bytes.count - index)
        let character = UnsafeRawBufferPointer(rebasing: bytes[index..<(index + count)])
        ConstantTimeValidation.declassify(character)
        // C2 xx encodes U+00xx.
        return character[0] < 0x80 ? UInt32(character[0]) : UInt32(character[1])
    }

    /// The bounds of the first field at or after `start`: separators are
    /// skipped, and the field runs up to the next separator or the end.
    private static func fieldBounds(_ classes: [ByteClass], from start: Int) -> (start: Int, end: Int) {
        var fieldStart = start
        while fieldStart < classes.count && classes[fieldStart] == .separator { fieldStart += 1 }
        var fieldEnd = fieldStart
        while fieldEnd < classes.count && classes[fieldEnd] != .separator { fieldEnd += 1 }
        return (fieldStart, fieldEnd)
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
        // The line's own copy of the bytes goes with the line (a value the
        // caller drops); the key keeps its secret in SecretBytes.
        try PrivateKey(validating: algorithm, bytes: keyBytes)
    }

    /// Whether a line holds nothing to parse: blank, or a `#` comment.
    /// Only the first character that is not a separator is read, so a key
    /// line's key field is never looked at.
    public static func isIgnorable(_ line: some StringProtocol) -> Bool {
        let first = line.unicodeScalars.first { !isSeparator($0) }
        return first == nil || first == "#"
    }

    // Fields are split on Unicode scalars, not Characters: a combining mark
    // after a separator forms one Character with it, which would hide the
    // separator and glue a comment that starts with the mark to the key.

    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t"
    }

    /// The first field of `text` and what follows it (for public lines:
    /// known_hosts; a key line is split by `init(parsing:)`).
    static func nextField(_ text: Substring) -> (field: Substring, rest: Substring) {
        let scalars = text.unicodeScalars
        let start = scalars.firstIndex { !isSeparator($0) } ?? scalars.endIndex
        let end = scalars[start...].firstIndex(where: isSeparator) ?? scalars.endIndex
        return (Substring(scalars[start..<end]), Substring(scalars[end...]))
    }

    static func trimmed(_ text: Substring) -> Substring {
        text.trimmed(where: isSeparator)
    }
}
