/// The replies that announce a passive listener, written by the server and
/// by the FTP gateway, and read by the client: their text in one place.
extension FTPReply {
    /// 229 (RFC 2428 section 3): `Entering Extended Passive Mode (|||port|)`.
    public static func extendedPassive(port: UInt16) -> FTPReply {
        FTPReply(.enteringExtendedPassiveMode, "Entering Extended Passive Mode (|||\(port)|)")
    }

    /// 227 (RFC 959 section 4.1.2): `Entering Passive Mode (h1,h2,h3,h4,p1,p2)`.
    /// - Returns: nil when `host` is not an IPv4 address in dotted form;
    ///   an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) counts as its IPv4 one.
    public static func passive(host: String, port: UInt16) -> FTPReply? {
        var host = Substring(host)
        if host.lowercased().hasPrefix("::ffff:") { host = host.dropFirst(7) }
        let octets = host.split(separator: ".").compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        let numbers = octets.map(String.init) + ["\(port >> 8)", "\(port & 0xff)"]
        return FTPReply(.enteringPassiveMode, "Entering Passive Mode (\(numbers.joined(separator: ",")))")
    }

    /// The port in `Entering Extended Passive Mode (|||port|)` (RFC 2428
    /// section 3: the delimiter is the character after the parenthesis).
    public static func extendedPassivePort(in text: String) -> UInt16? {
        guard let open = text.firstIndex(of: "("), let close = text.lastIndex(of: ")"), open < close else { return nil }
        let inside = text[text.index(after: open)..<close]
        guard let delimiter = inside.first else { return nil }
        let fields = inside.split(separator: delimiter, omittingEmptySubsequences: false)
        guard fields.count == 5, let port = UInt16(fields[3]), port > 0 else { return nil }
        return port
    }
}
