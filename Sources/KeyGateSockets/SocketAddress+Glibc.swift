import KeyGateSystem
import Glibc

extension SocketAddress {
    /// The address family for socket(2): AF_INET or AF_INET6.
    var family: Int32 {
        isIPv6 ? AF_INET6 : AF_INET
    }

    /// Calls `body` with this address as a `sockaddr` and its length, for
    /// bind(2) and connect(2).
    func withSocketAddress<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        switch ip {
        case let .v4(raw):
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = in_addr(s_addr: raw)
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case let .v6(_, _, scopeID):
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = in6Address
            address.sin6_scope_id = scopeID
            return withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        }
    }

    /// The address in a `sockaddr_storage` filled by accept(2),
    /// getsockname(2) or getpeername(2); nil for a family other than IPv4
    /// or IPv6.
    init?(storage: sockaddr_storage) {
        var storage = storage
        switch Int32(storage.ss_family) {
        case AF_INET:
            let address = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in.self) }
            self.init(ip: .v4(address.sin_addr.s_addr), port: UInt16(bigEndian: address.sin_port))
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.loadUnaligned(as: sockaddr_in6.self) }
            self.init(ipv6: address.sin6_addr, scopeID: address.sin6_scope_id, port: UInt16(bigEndian: address.sin6_port))
        default:
            return nil
        }
    }

    /// Calls `body` with an empty `sockaddr_storage` for a system call to
    /// fill, then reads the address it stored.
    /// - Throws: what `body` throws; `SystemError.callFailed(call, EAFNOSUPPORT)`
    ///   when the kernel returned a family other than IPv4 or IPv6.
    static func filled(
        by call: String, _ body: (UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) throws(SystemError) -> Void
    ) throws(SystemError) -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (address) throws(SystemError) in
                try body(address, &length)
            }
        }
        guard let address = SocketAddress(storage: storage) else {
            throw .callFailed(call: call, errno: EAFNOSUPPORT, address: nil)
        }
        return address
    }
}
