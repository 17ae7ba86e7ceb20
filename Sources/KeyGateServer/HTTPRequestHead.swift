/// The request line of an HTTP/1.x request head (RFC 9112 section 3), as
/// much as the metrics endpoint needs: the method and the path (the
/// request target without its query). Header fields are not read.
struct HTTPRequestHead: Equatable {
    let method: String
    let path: String

    /// The request line of `head` (bytes up to and including the blank
    /// line), or nil when it is not `METHOD SP /target SP HTTP/1.x`.
    init?(parsing head: [UInt8]) {
        let lineEnd = head.firstIndex(of: UInt8(ascii: "\n")) ?? head.endIndex
        var line = head[..<lineEnd]
        if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
        let words = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard words.count == 3, !words[0].isEmpty, words[0].allSatisfy(Self.isUppercaseLetter),
              words[1].first == UInt8(ascii: "/"), words[1].allSatisfy(Self.isTargetByte),
              words[2].elementsEqual("HTTP/1.1".utf8) || words[2].elementsEqual("HTTP/1.0".utf8)
        else { return nil }
        method = String(decoding: words[0], as: UTF8.self)
        path = String(decoding: words[1].prefix { $0 != UInt8(ascii: "?") }, as: UTF8.self)
    }

    /// Where the head ends in `bytes` (after its blank line, `CRLF CRLF` or
    /// a bare `LF LF`), or nil when it has not ended yet.
    static func end(of bytes: [UInt8]) -> Int? {
        var index = bytes.startIndex
        while let newline = bytes[index...].firstIndex(of: UInt8(ascii: "\n")) {
            let next = newline + 1
            if next < bytes.endIndex, bytes[next] == UInt8(ascii: "\n") { return next + 1 }
            if next + 1 < bytes.endIndex, bytes[next] == UInt8(ascii: "\r"), bytes[next + 1] == UInt8(ascii: "\n") { return next + 2 }
            index = next
        }
        return nil
    }

    private static func isUppercaseLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    /// Printable ASCII without spaces (RFC 3986 characters and more).
    private static func isTargetByte(_ byte: UInt8) -> Bool {
        (0x21...0x7e).contains(byte)
    }
}
