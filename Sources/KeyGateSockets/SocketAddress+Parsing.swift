import KeyGateSystem

extension SocketAddress {
    /// An address from text as an operator writes it: `1.2.3.4:7700`,
    /// `0.0.0.0:7700`, `[::1]:7700`, `localhost:7700`, or a host alone
    /// (`127.0.0.1`, `::1`, `[::1]`, `localhost`), which gets `defaultPort`.
    ///
    /// An IPv6 address with a port must be bracketed; without brackets,
    /// text with more than one colon is an IPv6 host.
    /// - Throws: `SystemError.invalidAddress` when the host is not numeric
    ///   (or localhost) or the port is not a number in 0...65535.
    public init(parsing text: String, defaultPort: UInt16) throws(SystemError) {
        let parts: HostPortText
        do {
            parts = try HostPortText(Substring(text))
        } catch {
            throw .invalidAddress(text)
        }
        let host = parts.host
        // Brackets hold an IPv6 literal, nothing else.
        guard !parts.bracketed || parts.hostHasColon else { throw .invalidAddress(text) }
        let port = try parts.port.map { digits throws(SystemError) in try Self.parsePort(digits, in: text) } ?? defaultPort
        guard !host.isEmpty else { throw .invalidAddress(text) }
        do {
            try self.init(host: String(host), port: port)
        } catch {
            throw .invalidAddress(text)
        }
    }

    private static func parsePort(_ digits: Substring, in text: String) throws(SystemError) -> UInt16 {
        guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = UInt16(digits)
        else {
            throw .invalidAddress(text)
        }
        return port
    }
}
