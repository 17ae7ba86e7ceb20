/// One complete FTP reply (RFC 959 section 4.2): a code and one or more
/// lines of text. On KeyGate one reply is one transport message, its lines
/// separated by CRLF, without a trailing CRLF (PROTOCOL.md sections 6, 9).
public struct FTPReply: Sendable, Equatable, CustomStringConvertible {
    public let code: FTPReplyCode
    /// The text of each line, without the code: one line for a single-line
    /// reply; for a multi-line reply the first line's text, the middle
    /// lines as sent, and the last line's text.
    public let lines: [String]

    /// A single-line reply.
    public init(_ code: FTPReplyCode, _ text: String) {
        self.code = code
        lines = [text]
    }

    /// A multi-line reply when `lines` has more than one element. Middle
    /// lines are sent as they are, so they should start with a space (a
    /// middle line starting with a digit gets one, or a reader could take
    /// it for the last line).
    public init(_ code: FTPReplyCode, lines: [String]) {
        precondition(!lines.isEmpty, "a reply has at least one line")
        self.code = code
        self.lines = lines
    }

    /// The first line's text.
    public var text: String { lines[0] }

    /// The reply as one transport message: `CODE text` or
    /// `CODE-first\r\n middle\r\nCODE last`, control characters in the text
    /// replaced by `?` so that nothing can forge a line.
    public var message: [UInt8] {
        var wire = ""
        if lines.count == 1 {
            wire = "\(code.rawValue) " + Self.printable(lines[0])
        } else {
            wire = "\(code.rawValue)-" + Self.printable(lines[0])
            for line in lines.dropFirst().dropLast() {
                var middle = Self.printable(line)
                if middle.first?.isNumber == true { middle = " " + middle }
                wire += "\r\n" + middle
            }
            wire += "\r\n\(code.rawValue) " + Self.printable(lines[lines.count - 1])
        }
        return Array(wire.utf8)
    }

    /// The reply as a plain FTP client expects it on a TCP connection: the
    /// message with a final CRLF.
    public var lineTerminatedMessage: [UInt8] { message + [13, 10] }

    /// `226 Transfer complete` (multi-line replies joined with newlines).
    public var description: String {
        Self.lines(of: message).joined(separator: "\n")
    }

    /// Parses one reply message (a trailing CRLF is tolerated, and so are
    /// bare LF line ends).
    /// - Throws: `FTPError.malformedReply` when it does not start with a
    ///   three-digit code or a multi-line reply has no last line.
    public init(parsing message: [UInt8]) throws(FTPError) {
        // Split on bytes: as a String, CR LF is one character.
        var rawLines = Self.lines(of: message)
        let text = rawLines.joined(separator: "\n")
        guard let first = rawLines.first, let (code, separator, firstText) = Self.splitCode(first) else {
            throw .malformedReply(String(text.prefix(80)))
        }
        guard separator == "-" else {
            guard rawLines.count == 1 else { throw .malformedReply(String(text.prefix(80))) }
            self.init(code, firstText)
            return
        }
        rawLines.removeFirst()
        guard let last = rawLines.popLast(), let (lastCode, lastSeparator, lastText) = Self.splitCode(last),
              lastCode == code, lastSeparator == " "
        else {
            throw .malformedReply("multi-line reply \(code) without its last line")
        }
        self.init(code, lines: [firstText] + rawLines + [lastText])
    }

    /// The lines of `bytes`, split at LF with a CR before it dropped, and
    /// without the empty line after a final line end.
    public static func lines(of bytes: [UInt8]) -> [String] {
        var lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        if lines.count > 1, lines.last == "" { lines.removeLast() }
        return lines
    }

    /// `226 text` → (226, " ", "text"); `211-text` → (211, "-", "text").
    private static func splitCode(_ line: String) -> (FTPReplyCode, Character, String)? {
        let characters = Array(line)
        guard characters.count >= 3, characters[0..<3].allSatisfy({ $0.isASCII && $0.isNumber }),
              let value = Int(String(characters[0..<3]))
        else { return nil }
        guard characters.count > 3 else { return (FTPReplyCode(value), " ", "") }
        guard characters[3] == " " || characters[3] == "-" else { return nil }
        return (FTPReplyCode(value), characters[3], String(characters[4...]))
    }

    /// `text` with control characters replaced by `?`.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar.value < 0x20 || scalar.value == 0x7f ? "?" : scalar
        }))
    }
}
