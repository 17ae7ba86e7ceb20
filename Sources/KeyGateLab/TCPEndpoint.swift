/// One end of a TCP connection: an IPv4 or IPv6 address and a port.
public struct TCPEndpoint: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6).
    public let address: [UInt8]
    public let port: UInt16

    public init(address: [UInt8], port: UInt16) {
        self.address = address
        self.port = port
    }

    /// `127.0.0.1:7700`, `[::1]:7700`.
    public var description: String {
        address.count == 4 ? "\(addressText):\(port)" : "[\(addressText)]:\(port)"
    }

    /// The address as dotted decimal, or as RFC 5952 text (the longest run
    /// of zero groups shortened to `::`).
    public var addressText: String {
        if address.count == 4 { return address.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: address.count, by: 2).map { Int(address[$0]) << 8 | Int(address[$0 + 1]) }
        var best: Range<Int>?
        var index = 0
        while index < groups.count {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < groups.count && groups[end] == 0 { end += 1 }
            if end - index >= 2 && (best == nil || end - index > best!.count) { best = index..<end }
            index = end
        }
        let text = { (range: ArraySlice<Int>) in range.map { String($0, radix: 16) }.joined(separator: ":") }
        guard let best else { return text(groups[...]) }
        return text(groups[..<best.lowerBound]) + "::" + text(groups[best.upperBound...])
    }
}
