import KeyGateSystem

/// A `HOST[:PORT]` argument: a name, an IPv4 literal, or an IPv6 literal in
/// brackets when a port follows (`[::1]:7700`).
struct HostAndPort: Sendable, CustomStringConvertible {
    let host: String
    let port: UInt16

    /// - Throws: `UsageError` for an empty host or a bad port.
    init(parsing text: String, defaultPort: UInt16) throws(UsageError) {
        let parts: HostPortText
        do {
            parts = try HostPortText(Substring(text))
        } catch {
            throw UsageError("'\(text)': \(error)")
        }
        guard !parts.host.isEmpty else { throw UsageError("'\(text)': missing host") }
        host = String(parts.host)
        port = try parts.port.map { digits throws(UsageError) in try Self.port(digits, in: text) } ?? defaultPort
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
