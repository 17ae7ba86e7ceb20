import Glibc

/// What an allow-list line lets its key do: the options before the key, in
/// the manner of OpenSSH's authorized_keys (PROTOCOL.md "Key options"):
///
///     from="10.0.0.0/8",services="ftp",ftp="read-only" x25519 AAAA... carol
///
/// A comma-separated list of `name="value"` pairs; inside the quotes `\"`
/// stands for a quote and `\\` for a backslash. A line without options lets
/// its key do everything, as before options existed. An option the server
/// does not know, a malformed one or a repeated one makes the whole line
/// fail closed (`KeyLineProblem.invalidOption`): its key is denied.
public struct KeyOptions: Equatable, Sendable, CustomStringConvertible {
    /// `services="chat,ftp"`: the services the key may ask for; nil for all.
    public var services: [String]?
    /// `ftp="read-only"`: no FTP command that writes.
    public var ftpReadOnly = false
    /// `ftp-root="projects/alpha"`: the folder, relative to the FTP root,
    /// that the key is confined to (instead of its per-client home).
    public var ftpRoot: String?
    /// `from="127.0.0.1,10.0.0.0/8,::1"`: the addresses the key may connect
    /// from; nil for any.
    public var from: [AddressRange]?
    /// `expiry-time="20271231"`: the key is denied from this time on.
    public var expiry: KeyExpiry?

    /// No options: everything allowed.
    public init() {}

    /// Every option name, for messages.
    public static let names = ["services", "ftp", "ftp-root", "from", "expiry-time"]

    /// Whether no option is set.
    public var isEmpty: Bool { self == KeyOptions() }

    /// Parses an options field (the text before the algorithm).
    /// - Throws: `KeyLineProblem.invalidOption` saying which and why.
    public init(parsing field: some StringProtocol) throws(KeyLineProblem) {
        for (name, value) in try Self.pairs(in: Array(field.unicodeScalars)) {
            try apply(name: name, value: value)
        }
    }

    /// Sets option `name` to `value` as if it were written `name="value"`
    /// on a line: the same checks, the same errors (a tool that writes
    /// options uses this, so what it writes always parses).
    /// - Throws: `KeyLineProblem.invalidOption` saying which and why.
    public mutating func set(_ name: String, to value: String) throws(KeyLineProblem) {
        try apply(name: name, value: value)
    }

    private mutating func apply(name: String, value: String) throws(KeyLineProblem) {
        func invalid(_ reason: String) -> KeyLineProblem { .invalidOption(name: name, reason: reason) }
        switch name {
        case "services":
            guard services == nil else { throw invalid("given twice") }
            let list = value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !list.isEmpty, list.allSatisfy(Self.isServiceName) else {
                throw invalid("expected service names separated by commas, such as \"chat,ftp\"")
            }
            services = list
        case "ftp":
            guard !ftpReadOnly else { throw invalid("given twice") }
            guard value == "read-only" else { throw invalid("the only value is \"read-only\"") }
            ftpReadOnly = true
        case "ftp-root":
            guard ftpRoot == nil else { throw invalid("given twice") }
            if let problem = Self.problem(withRoot: value) { throw invalid(problem) }
            ftpRoot = value
        case "from":
            guard from == nil else { throw invalid("given twice") }
            var ranges: [AddressRange] = []
            for item in value.split(separator: ",", omittingEmptySubsequences: false) {
                guard let range = AddressRange(String(item)) else {
                    throw invalid("'\(item.prefix(50))' is not an IP address or CIDR range (10.0.0.0/8, ::1)")
                }
                ranges.append(range)
            }
            from = ranges
        case "expiry-time":
            guard expiry == nil else { throw invalid("given twice") }
            guard let time = KeyExpiry(value) else {
                throw invalid("expected YYYYMMDD[HHMM[SS]], local time unless it ends in Z")
            }
            expiry = time
        default:
            throw .invalidOption(name: String(name.prefix(40)), reason: "unknown option (known: \(Self.names.joined(separator: ", ")))")
        }
    }

    /// Splits `name="value",name="value"` into its pairs.
    private static func pairs(in scalars: [Unicode.Scalar]) throws(KeyLineProblem) -> [(String, String)] {
        var result: [(String, String)] = []
        var index = 0
        while index < scalars.count {
            var name = ""
            while index < scalars.count, scalars[index] != "=", scalars[index] != "," {
                name.unicodeScalars.append(scalars[index])
                index += 1
            }
            guard !name.isEmpty else { throw .invalidOption(name: "", reason: "an empty option") }
            guard index < scalars.count, scalars[index] == "=" else {
                throw .invalidOption(name: String(name.prefix(40)), reason: "expected \(name.prefix(40))=\"value\"")
            }
            index += 1
            guard index < scalars.count, scalars[index] == "\"" else {
                throw .invalidOption(name: name, reason: "the value must be in double quotes")
            }
            index += 1
            var value = ""
            var closed = false
            while index < scalars.count {
                let scalar = scalars[index]
                index += 1
                if scalar == "\"" {
                    closed = true
                    break
                }
                if scalar == "\\", index < scalars.count, scalars[index] == "\"" || scalars[index] == "\\" {
                    value.unicodeScalars.append(scalars[index])
                    index += 1
                } else {
                    value.unicodeScalars.append(scalar)
                }
            }
            guard closed else { throw .invalidOption(name: name, reason: "the closing quote is missing") }
            result.append((name, value))
            if index < scalars.count {
                guard scalars[index] == "," else {
                    throw .invalidOption(name: name, reason: "options are separated by commas, without spaces")
                }
                index += 1
                guard index < scalars.count else { throw .invalidOption(name: name, reason: "a comma ends the options") }
            }
        }
        return result
    }

    private static func isServiceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 32
            && name.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
    }

    /// Why `root` cannot be an `ftp-root`, or nil: it must be a relative
    /// path of plain names, never absolute and never with `.` or `..`.
    static func problem(withRoot root: String) -> String? {
        if root.isEmpty { return "it is empty" }
        if root.hasPrefix("/") { return "it must be relative to the FTP root, not absolute" }
        if root.utf8.count > 1024 { return "it is longer than 1024 bytes" }
        if root.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            return "it contains a control character"
        }
        for component in root.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty { return "it has an empty component (// or a trailing /)" }
            if component == "." || component == ".." { return "it contains '\(component)'" }
        }
        return nil
    }

    /// The options field as written in the file (empty for no options), in
    /// a fixed order.
    public var description: String {
        var parts: [String] = []
        if let from { parts.append("from=" + Self.quoted(from.map(\.description).joined(separator: ","))) }
        if let services { parts.append("services=" + Self.quoted(services.joined(separator: ","))) }
        if ftpReadOnly { parts.append("ftp=\"read-only\"") }
        if let ftpRoot { parts.append("ftp-root=" + Self.quoted(ftpRoot)) }
        if let expiry { parts.append("expiry-time=" + Self.quoted(expiry.text)) }
        return parts.joined(separator: ",")
    }

    private static func quoted(_ value: String) -> String {
        "\"" + value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// Whether the key may ask for `service`.
    public func allows(service: String) -> Bool {
        services?.contains(service) ?? true
    }

    /// Whether the key may connect from `host` (an IP address as text).
    public func allows(host: String) -> Bool {
        guard let from else { return true }
        guard let address = AddressRange.addressBytes(host) else { return false }
        return from.contains { $0.contains(address) }
    }

    /// Whether the key has expired at `now` (seconds since 1970).
    public func hasExpired(at now: Int64) -> Bool {
        guard let expiry else { return false }
        return now >= expiry.secondsSince1970
    }
}

extension String {
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}

/// An IP address or a CIDR range (`10.0.0.0/8`, `::1`, `fd00::/8`), for
/// the `from` option. An IPv4 address given as IPv4-mapped IPv6
/// (`::ffff:10.1.2.3`) is matched as IPv4.
public struct AddressRange: Equatable, Sendable, CustomStringConvertible {
    /// The network's address bytes: 4 for IPv4, 16 for IPv6.
    public let network: [UInt8]
    /// The number of leading bits that must match.
    public let prefixLength: Int

    /// Parses `address` or `address/bits`; nil when it is neither, when the
    /// bits exceed the family's, or when bits are set past the prefix.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = Self.addressBytes(String(parts[0])) else { return nil }
        let bits: Int
        if parts.count == 2 {
            guard let value = Int(parts[1]), String(value) == parts[1], (0...address.count * 8).contains(value) else {
                return nil
            }
            bits = value
        } else {
            bits = address.count * 8
        }
        // A range written with host bits set (10.0.0.1/8) is most likely a
        // mistake; refuse it rather than guess.
        for bit in bits..<(address.count * 8) where address[bit / 8] & (0x80 >> UInt8(bit % 8)) != 0 {
            return nil
        }
        network = address
        prefixLength = bits
    }

    /// The bytes of an IP address in text, IPv4-mapped IPv6 as IPv4; nil
    /// when it is not an address (a host name is not one).
    public static func addressBytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            return Array(bytes[12..<16])
        }
        return bytes
    }

    /// Whether `address` (bytes from `addressBytes`) is in the range.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == network.count else { return false }
        for bit in 0..<prefixLength {
            let mask = UInt8(0x80) >> UInt8(bit % 8)
            if address[bit / 8] & mask != network[bit / 8] & mask { return false }
        }
        return true
    }

    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = network.count == 4 ? AF_INET : AF_INET6
        let text: String = network.withUnsafeBytes { bytes in
            guard inet_ntop(family, bytes.baseAddress, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
            return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        return prefixLength == network.count * 8 ? text : "\(text)/\(prefixLength)"
    }
}

/// An `expiry-time` value: `YYYYMMDD[HHMM[SS]]`, in local time unless it
/// ends in `Z` (UTC); a date alone means the start of that day, as in
/// OpenSSH.
public struct KeyExpiry: Equatable, Sendable {
    /// The value as written.
    public let text: String
    /// The instant, in seconds since 1970 UTC.
    public let secondsSince1970: Int64

    /// Parses a value; nil when it is not one.
    public init?(_ text: String) {
        var digits = Substring(text)
        let isUTC = digits.hasSuffix("Z")
        if isUTC { digits = digits.dropLast() }
        guard [8, 12, 14].contains(digits.count), digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        func number(_ offset: Int, _ count: Int) -> Int32 {
            let start = digits.index(digits.startIndex, offsetBy: offset)
            return Int32(digits[start..<digits.index(start, offsetBy: count)])!
        }
        var fields = tm()
        fields.tm_year = number(0, 4) - 1900
        fields.tm_mon = number(4, 2) - 1
        fields.tm_mday = number(6, 2)
        fields.tm_hour = digits.count >= 12 ? number(8, 2) : 0
        fields.tm_min = digits.count >= 12 ? number(10, 2) : 0
        fields.tm_sec = digits.count == 14 ? number(12, 2) : 0
        fields.tm_isdst = -1
        let wanted = (fields.tm_year, fields.tm_mon, fields.tm_mday, fields.tm_hour, fields.tm_min, fields.tm_sec)
        guard number(0, 4) >= 1970, (0...11).contains(wanted.1), (1...31).contains(wanted.2), wanted.3 < 24,
              wanted.4 < 60, wanted.5 < 60
        else { return nil }
        let seconds = isUTC ? timegm(&fields) : mktime(&fields)
        // mktime and timegm normalise 20270231 to March 3rd: refuse dates
        // that do not exist instead.
        guard seconds != -1, fields.tm_mon == wanted.1, fields.tm_mday == wanted.2 else { return nil }
        self.text = text
        secondsSince1970 = Int64(seconds)
    }

    /// A value `duration` from `now` (seconds since 1970), written in UTC.
    public init(after duration: Int64, from now: Int64) {
        var time = time_t(now + duration)
        var fields = tm()
        gmtime_r(&time, &fields)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        text = "\(fields.tm_year + 1900)" + two(fields.tm_mon + 1) + two(fields.tm_mday) + two(fields.tm_hour)
            + two(fields.tm_min) + two(fields.tm_sec) + "Z"
        secondsSince1970 = now + duration
    }
}
