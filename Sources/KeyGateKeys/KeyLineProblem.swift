/// Why one line of a key file cannot be used. `KeyFileError` adds the file
/// and line number, and whether the line was skipped or the file refused.
public enum KeyLineProblem: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer fields than the format needs; `expected` shows the format.
    case missingFields(expected: String)
    /// The first field is not a supported algorithm.
    case unknownAlgorithm(String)
    /// The key field is not base64 (padded or unpadded, standard alphabet).
    case invalidBase64
    /// The key decodes to the wrong number of bytes for its algorithm.
    case wrongKeySize(algorithm: KeyAlgorithm, isPrivate: Bool, expected: Int, actual: Int)
    /// The bytes have the right size but are not a usable private key
    /// (an FFDHE exponent of zero).
    case invalidPrivateKey(algorithm: KeyAlgorithm, reason: String)
    /// The name after the key cannot be a client name.
    case invalidName(name: String, reason: String)
    /// Text follows the last field of a format that has no comment.
    case unexpectedText(String)
    /// A known_hosts entry does not start with a valid `host:port`.
    case invalidHostAndPort(String, reason: String)
    /// The line is not valid UTF-8.
    case invalidUTF8
    /// The line contains a control character other than tab (the scalar
    /// value is given): key files are plain text, and a comment printed to
    /// a terminal must not carry escape sequences.
    case controlCharacter(UInt32)
    /// A private or public key file holds a second key line; it must hold one.
    case secondKey
    /// An allow-list option is unknown, malformed or given twice: the
    /// line fails closed (its key is denied).
    case invalidOption(name: String, reason: String)

    public var description: String {
        switch self {
        case let .missingFields(expected):
            return "missing fields (expected '\(expected)')"
        case let .unknownAlgorithm(name):
            return "unknown algorithm '\(name.prefix(40))' (expected \(KeyAlgorithm.allNames))"
        case .invalidBase64:
            return "the key is not valid base64 (standard alphabet A-Z a-z 0-9 + /, '=' padding optional)"
        case let .wrongKeySize(algorithm, isPrivate, expected, actual):
            return "\(algorithm) \(isPrivate ? "private" : "public") key has \(actual) bytes, expected \(expected)"
        case let .invalidPrivateKey(algorithm, reason):
            return "unusable \(algorithm) private key: \(reason)"
        case let .invalidName(name, reason):
            return "invalid name '\(name.prefix(60))': \(reason)"
        case let .unexpectedText(text):
            return "unexpected text '\(text.prefix(40))' after the key"
        case let .invalidHostAndPort(text, reason):
            return "invalid host:port '\(text.prefix(60))': \(reason)"
        case .invalidUTF8:
            return "the line is not valid UTF-8"
        case let .controlCharacter(value):
            return "the line contains the control character U+\(String(value, radix: 16, uppercase: true)) (key files are plain text)"
        case .secondKey:
            return "a second key line; a key file holds exactly one key"
        case let .invalidOption(name, reason):
            return name.isEmpty ? "invalid options: \(reason)" : "invalid option '\(name)': \(reason)"
        }
    }
}
