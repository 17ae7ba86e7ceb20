/// A `HOST[:PORT]` argument: a name, an IPv4 literal, or an IPv6 literal in
/// brackets when a port follows (`[::1]:7700`).
struct HostAndPort: Sendable, CustomStringConvertible {
    let host: String
    let port: UInt16

    /// - Throws: `UsageError` for an empty host or a bad port.
    init(parsing text: String, defaultPort: UInt16) throws(UsageError) {
        var host = Substring(text)
        var port = defaultPort
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw UsageError("'\(text)': missing ']' after an IPv6 address") }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw UsageError("'\(text)': expected ':PORT' after ']'") }
                port = try Self.port(rest.dropFirst(), in: text)
            }
        } else if let colon = host.lastIndex(of: ":"), host.firstIndex(of: ":") == colon {
            port = try Self.port(host[host.index(after: colon)...], in: text)
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw UsageError("'\(text)': missing host") }
        self.host = String(host)
        self.port = port
    }

    private static func port(_ digits: Substring, in text: String) throws(UsageError) -> UInt16 {
        guard let value = UInt16(digits), value > 0 else {
            throw UsageError("'\(text)': port must be 1-65535")
        }
        return value
    }

    var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
