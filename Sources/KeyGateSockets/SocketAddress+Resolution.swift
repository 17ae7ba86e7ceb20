import KeyGateSystem
import CKeyGateSystem
import Glibc

extension SocketAddress {
    /// The addresses of `host` (a name, or a numeric literal) with `port`,
    /// IPv4 first.
    ///
    /// Numeric hosts and `localhost` are parsed at once. Names are looked up
    /// with getaddrinfo(3), which blocks, so the lookup runs on a Dispatch
    /// thread of its own, never on the cooperative thread pool.
    /// - Throws: `SystemError.callFailed(call: "getaddrinfo", ...)` naming
    ///   the host when the name does not resolve.
    public static func resolve(host: String, port: UInt16) async throws -> [SocketAddress] {
        if let numeric = try? SocketAddress(host: host, port: port) {
            return [numeric]
        }
        // getaddrinfo blocks: on the blocking executor, never the
        // cooperative pool.
        return try await BlockingExecutor.shared.run { try lookUp(host: host, port: port) }
    }

    /// Blocking getaddrinfo; call only from a thread that may block.
    private static func lookUp(host: String, port: UInt16) throws -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0, let first = list else {
            throw SystemError.resolutionFailed(host: host, reason: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(list) }
        var addresses: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let raw = current.pointee.ai_addr {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { buffer in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(start: raw, count: Int(current.pointee.ai_addrlen)))
                }
                if let address = SocketAddress(storage: storage), !addresses.contains(address.withPort(port)) {
                    addresses.append(address.withPort(port))
                }
            }
            entry = current.pointee.ai_next
        }
        guard !addresses.isEmpty else {
            throw SystemError.resolutionFailed(host: host, reason: "no address")
        }
        return addresses.sorted { !$0.isIPv6 && $1.isIPv6 }
    }
}
