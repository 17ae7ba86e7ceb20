/// Recognizes lines of an HTTP request arriving where FTP commands are
/// expected: what a web page sends when it makes the browser POST to
/// `http://127.0.0.1:2121/` (a cross-protocol request). The body of such
/// a request can hold FTP commands (a `text/plain` form), but a browser
/// always sends the request line and the header fields first, so a
/// gateway that drops the connection at the first such line runs none.
///
/// FTP command lines cannot look like either form: a verb is three or
/// four letters followed by a space or the end of the line (RFC 959
/// section 5.3), never by a colon, and the only false positive is a
/// command whose argument ends in ` HTTP/1.1` after another space.
enum HTTPRequestLine {
    /// Whether `line` (without its line end) is an HTTP request line,
    /// `METHOD SP request-target SP HTTP/x.y` (RFC 9112 section 3, any
    /// method, also HTTP/2's `PRI * HTTP/2.0` preface), or a header field
    /// line such as `Host: 127.0.0.1:2121` (RFC 9112 section 5).
    static func matches(_ line: [UInt8]) -> Bool {
        isRequestLine(line) || isHeaderField(line)
    }

    /// `token SP target SP HTTP/digits[.digits]`; the target has no space.
    static func isRequestLine(_ line: [UInt8]) -> Bool {
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 3, let method = words.first, !method.isEmpty, method.allSatisfy(isTokenByte),
              !words[1].isEmpty
        else { return false }
        return isVersion(words[2])
    }

    /// `token ":"` at the start of the line (field names are tokens, and
    /// no whitespace is allowed before the colon).
    static func isHeaderField(_ line: [UInt8]) -> Bool {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex else { return false }
        return line[..<colon].allSatisfy(isTokenByte)
    }

    /// `HTTP/` (in any case) then digits, optionally `.` and digits.
    private static func isVersion(_ word: ArraySlice<UInt8>) -> Bool {
        let prefix = Array("HTTP/".utf8)
        guard word.count > prefix.count,
              zip(word.prefix(prefix.count), prefix).allSatisfy({ lowercased($0) == lowercased($1) })
        else { return false }
        let number = word.dropFirst(prefix.count).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return (1...2).contains(number.count) && number.allSatisfy { !$0.isEmpty && $0.allSatisfy(isDigit) }
    }

    /// RFC 9110 section 5.6.2: tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
    }
}
