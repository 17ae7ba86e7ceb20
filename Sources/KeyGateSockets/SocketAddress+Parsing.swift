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
        let host: Substring
        var port = defaultPort
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw .invalidAddress(text) }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .invalidAddress(text) }
                port = try Self.parsePort(rest.dropFirst(), in: text)
            }
            // Brackets hold an IPv6 literal, nothing else.
            guard host.contains(":") else { throw .invalidAddress(text) }
        } else {
            let colons = text.reduce(0) { $1 == ":" ? $0 + 1 : $0 }
            if colons == 1, let colon = text.firstIndex(of: ":") {
                host = text[..<colon]
                port = try Self.parsePort(text[text.index(after: colon)...], in: text)
            } else {
                host = Substring(text)
            }
        }
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
