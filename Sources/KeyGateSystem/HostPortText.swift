/// `HOST[:PORT]` as operators and files write it, split into its host and
/// port text: `example.org:7700`, `1.2.3.4`, `[::1]:7700`, `[::1]`, or an
/// IPv6 address alone (`::1`: with more than one colon and no brackets,
/// all of it is the host). The one place that knows where the host ends;
/// each caller reads the port and checks the host by its own rules.
public struct HostPortText: Sendable, Equatable {
    /// Why the text cannot be split.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        /// `[` without its `]`.
        case missingClosingBracket
        /// Something other than `:PORT` after `]`.
        case textAfterClosingBracket

        public var description: String {
            switch self {
            case .missingClosingBracket: "missing ']' after an IPv6 address"
            case .textAfterClosingBracket: "expected ':PORT' after ']'"
            }
        }
    }

    /// The host, without brackets.
    public let host: Substring
    /// The text after the host's colon; nil when there is no port.
    public let port: Substring?
    /// Whether the host was written in brackets.
    public let bracketed: Bool

    /// - Throws: `Problem` for unbalanced brackets or text after `]`.
    public init(_ text: Substring) throws(Problem) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .missingClosingBracket }
            host = text[text.index(after: text.startIndex)..<close]
            bracketed = true
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                port = nil
            } else {
                guard rest.hasPrefix(":") else { throw .textAfterClosingBracket }
                port = rest.dropFirst()
            }
            return
        }
        bracketed = false
        if let colon = text.firstIndex(of: ":"), text.lastIndex(of: ":") == colon {
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        } else {
            host = text
            port = nil
        }
    }

    /// Whether the host has a colon: an IPv6 address (bracketed or not).
    public var hostHasColon: Bool { host.contains(":") }
}
