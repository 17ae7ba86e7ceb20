/// One FTP command line (RFC 959 section 5.3): a verb and its argument.
///
/// On KeyGate each client transport message is one command line without
/// CRLF (PROTOCOL.md section 6); a trailing CRLF is tolerated. Lines are
/// bounded, as in vsftpd's `ftpcmdio.c`: a longer one is refused whole.
public struct FTPCommand: Sendable, Equatable, CustomStringConvertible {
    /// The longest command line accepted, in bytes.
    public static let maximumLineByteCount = 4096

    /// The verb in upper case (`RETR`).
    public let verb: String
    /// Everything after the single space that follows the verb, as sent
    /// (spaces inside kept); empty when there is none.
    public let argument: String

    /// A command to send; the verb is upper-cased.
    public init(verb: String, argument: String = "") {
        self.verb = verb.uppercased()
        self.argument = argument
    }

    /// Why a line is not a command, with the reply it gets.
    public enum ParseError: Error, Equatable, Sendable {
        case tooLong(Int)
        case empty
        case badVerb
        case notUTF8

        /// The reply the server sends for such a line.
        public var reply: FTPReply {
            switch self {
            case let .tooLong(count):
                return FTPReply(.syntaxError, "Command line too long (\(count) bytes; at most \(FTPCommand.maximumLineByteCount))")
            case .empty: return FTPReply(.syntaxError, "Empty command line")
            case .badVerb: return FTPReply(.syntaxError, "Syntax error, command unrecognized")
            case .notUTF8: return FTPReply(.argumentSyntaxError, "Command line is not valid UTF-8")
            }
        }
    }

    /// Parses one command line.
    /// - Throws: `ParseError`: too long, empty, a verb that is not 3 or 4
    ///   letters, or bytes that are not UTF-8.
    public init(parsing line: [UInt8]) throws(ParseError) {
        guard line.count <= Self.maximumLineByteCount else { throw .tooLong(line.count) }
        var end = line.count
        if end > 0, line[end - 1] == UInt8(ascii: "\n") {
            end -= 1
            // Only as part of CR LF: a lone CR at the end belongs to the
            // argument (and the path rules refuse it).
            if end > 0, line[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        }
        guard end > 0 else { throw .empty }
        guard let text = String(validating: line[0..<end], as: UTF8.self) else { throw .notUTF8 }
        // The first space byte ends the verb: found in the UTF-8, since a
        // space followed by a combining mark is one Character.
        let verb: Substring
        let argument: Substring
        if let space = text.utf8.firstIndex(of: UInt8(ascii: " ")) {
            verb = text[..<space]
            argument = text[text.utf8.index(after: space)...]
        } else {
            verb = Substring(text)
            argument = ""
        }
        guard (3...4).contains(verb.count), verb.allSatisfy({ $0.isASCII && $0.isLetter }) else { throw .badVerb }
        self.init(verb: String(verb), argument: String(argument))
    }

    /// The argument of LIST, NLST and MLSD (PROTOCOL.md section 9): leading
    /// `-flags` words, then at most one path, which may contain spaces.
    public var listingArguments: (flags: String, path: String) {
        var rest = Substring(argument)
        var flags = ""
        while rest.hasPrefix("-") {
            let word = rest.prefix { $0 != " " }
            flags += word.dropFirst()
            rest = rest.dropFirst(word.count)
            while rest.first == " " { rest.removeFirst() }
        }
        return (flags, String(rest))
    }

    /// `RETR name`, or `PASS ****` so that logs never hold a password.
    public var description: String {
        if argument.isEmpty { return verb }
        return verb == "PASS" ? "PASS ****" : "\(verb) \(argument)"
    }

    /// The line to send (without CRLF).
    public var line: [UInt8] {
        Array((argument.isEmpty ? verb : "\(verb) \(argument)").utf8)
    }
}
