import KeyGateSystem
import Glibc

/// An IPv4 or IPv6 address with a TCP port.
///
/// Only numeric addresses and `localhost` are parsed here, so a listening
/// address means exactly one address; clients resolve host names with
/// `SocketAddress.resolve(host:port:)`, off the cooperative thread pool.
public struct SocketAddress: Sendable, Hashable, CustomStringConvertible {
    /// The IP address, as the bytes of `in_addr` / `in6_addr`.
    enum IP: Sendable, Hashable {
        /// `s_addr`, in network byte order as stored in `in_addr`.
        case v4(UInt32)
        /// The 16 bytes of `in6_addr` as two words in memory order, and the
        /// scope (interface) id of link-local addresses.
        case v6(UInt64, UInt64, scopeID: UInt32)
    }

    let ip: IP

    /// The TCP port; 0 asks `TCPListener.bind` for an ephemeral port.
    public let port: UInt16

    init(ip: IP, port: UInt16) {
        self.ip = ip
        self.port = port
    }

    /// An address from a numeric IPv4 (`127.0.0.1`) or IPv6 (`::1`, also
    /// written `[::1]`) literal, or `localhost` (127.0.0.1), and a port.
    /// - Throws: `SystemError.invalidAddress` for anything else, host names
    ///   included.
    public init(host: String, port: UInt16) throws(SystemError) {
        var text = Substring(host)
        if text.hasPrefix("["), text.hasSuffix("]") {
            text = text.dropFirst().dropLast()
        }
        if text.lowercased() == "localhost" {
            self.init(ip: .v4(in_addr_t(0x7f00_0001).bigEndian), port: port)
            return
        }
        if text.contains(":") {
            var address = in6_addr()
            guard inet_pton(AF_INET6, String(text), &address) == 1 else {
                throw .invalidAddress(host)
            }
            self.init(ipv6: address, scopeID: 0, port: port)
        } else {
            var address = in_addr()
            guard inet_pton(AF_INET, String(text), &address) == 1 else {
                throw .invalidAddress(host)
            }
            self.init(ip: .v4(address.s_addr), port: port)
        }
    }

    init(ipv6 address: in6_addr, scopeID: UInt32, port: UInt16) {
        let words = withUnsafeBytes(of: address) { bytes in
            (bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
             bytes.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        }
        self.init(ip: .v6(words.0, words.1, scopeID: scopeID), port: port)
    }

    /// The address with another port (same host).
    public func withPort(_ port: UInt16) -> SocketAddress {
        SocketAddress(ip: ip, port: port)
    }

    /// Whether this is an IPv6 address.
    public var isIPv6: Bool {
        if case .v6 = ip { return true }
        return false
    }

    /// The numeric host, without brackets: `127.0.0.1`, `::1`.
    public var host: String {
        switch ip {
        case let .v4(raw):
            let address = in_addr(s_addr: raw)
            return withUnsafeBytes(of: address) { Self.format(family: AF_INET, $0.baseAddress!, capacity: Int(INET_ADDRSTRLEN)) }
        case .v6:
            return withUnsafeBytes(of: in6Address) {
                Self.format(family: AF_INET6, $0.baseAddress!, capacity: Int(INET6_ADDRSTRLEN))
            }
        }
    }

    /// Whether the address is on the loopback interface: 127.0.0.0/8, ::1,
    /// or 127.0.0.0/8 mapped into IPv6 (::ffff:127.x.y.z).
    public var isLoopback: Bool {
        switch ip {
        case let .v4(raw):
            return UInt32(bigEndian: raw) >> 24 == 127
        case .v6:
            let bytes = withUnsafeBytes(of: in6Address) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 {
                return true
            }
            let isMappedIPv4 = bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff
            return isMappedIPv4 && bytes[12] == 127
        }
    }

    /// Whether this is the wildcard address, 0.0.0.0 or ::, which a
    /// listener binds to accept on every interface.
    public var isUnspecified: Bool {
        switch ip {
        case let .v4(raw): return raw == 0
        case let .v6(high, low, _): return high == 0 && low == 0
        }
    }

    /// `127.0.0.1:7700`, `[::1]:7700`.
    public var description: String {
        isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The IPv6 address as `in6_addr`; only meaningful for `.v6`.
    var in6Address: in6_addr {
        var address = in6_addr()
        if case let .v6(high, low, _) = ip {
            withUnsafeMutableBytes(of: &address) { bytes in
                bytes.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
                bytes.storeBytes(of: low, toByteOffset: 8, as: UInt64.self)
            }
        }
        return address
    }

    /// inet_ntop(3) of the `in_addr` or `in6_addr` at `address`.
    private static func format(family: Int32, _ address: UnsafeRawPointer, capacity: Int) -> String {
        var buffer = [CChar](repeating: 0, count: capacity)
        guard inet_ntop(family, address, &buffer, socklen_t(capacity)) != nil else {
            return "?"
        }
        return buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}
