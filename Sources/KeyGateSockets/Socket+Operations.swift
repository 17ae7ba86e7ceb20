import KeyGateSystem
import CKeyGateSystem
import Glibc

/// The socket system calls, each through `SystemCall` and under the
/// descriptor's lock.
extension Socket {
    /// setsockopt(2) with an `Int32` value.
    func setOption(level: Int32, name: Int32, value: Int32, call: String, address: SocketAddress?) throws(SystemError) {
        _ = try withDescriptor { (descriptor) throws(SystemError) in
            var value = value
            try SystemCall.runNow(call, address: address) {
                setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size))
            }
        }
    }

    /// The integer value of a socket option.
    func option(level: Int32, name: Int32, call: String, address: SocketAddress?) throws(SystemError) -> Int32 {
        try withDescriptor { (descriptor) throws(SystemError) -> Int32 in
            var value: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            _ = try SystemCall.runNow(call, address: address) {
                getsockopt(descriptor, level, name, &value, &length)
            }
            return value
        }
    }

    /// SO_LINGER with a zero timeout: close(2) then sends a reset and
    /// discards unsent data instead of an orderly FIN.
    func setLingerZero(address: SocketAddress?) throws(SystemError) {
        _ = try withDescriptor { (descriptor) throws(SystemError) in
            var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
            try SystemCall.runNow("setsockopt(SO_LINGER)", address: address) {
                setsockopt(descriptor, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
            }
        }
    }

    /// SO_ERROR: the error of an asynchronous connect, 0 if none (yet).
    func pendingError(address: SocketAddress) throws(SystemError) -> Int32 {
        try withDescriptor { (descriptor) throws(SystemError) in
            var code: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            try SystemCall.runNow("getsockopt(SO_ERROR)", address: address) {
                getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &code, &length)
            }
            return code
        }
    }

    /// getsockname(2).
    func localAddress() throws(SystemError) -> SocketAddress {
        try withDescriptor { (descriptor) throws(SystemError) in
            try SocketAddress.filled(by: "getsockname") { (address, length) throws(SystemError) in
                try SystemCall.runNow("getsockname") { getsockname(descriptor, address, length) }
            }
        }
    }

    /// getpeername(2); nil while not connected (ENOTCONN).
    func peerAddress() throws(SystemError) -> SocketAddress? {
        do {
            return try withDescriptor { (descriptor) throws(SystemError) in
                try SocketAddress.filled(by: "getpeername") { (address, length) throws(SystemError) in
                    try SystemCall.runNow("getpeername") { getpeername(descriptor, address, length) }
                }
            }
        } catch {
            guard error.errno == ENOTCONN else { throw error }
            return nil
        }
    }

    /// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC: the new descriptor and
    /// the peer's address.
    func accept(address: SocketAddress) throws(SystemError) -> SystemCallResult<(Int32, SocketAddress)> {
        try withDescriptor { (descriptor) throws(SystemError) in
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let flags = Int32(bitPattern: SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)
            let result = try withUnsafeMutablePointer(to: &storage) { (pointer) throws(SystemError) in
                try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { (peer) throws(SystemError) in
                    try SystemCall.run("accept", address: address) { ckg_accept4(descriptor, peer, &length, flags) }
                }
            }
            guard case let .completed(connection) = result else { return .wouldBlock }
            guard let peer = SocketAddress(storage: storage) else {
                Glibc.close(connection)
                throw .callFailed(call: "accept", errno: EAFNOSUPPORT, address: address)
            }
            return .completed((connection, peer))
        }
    }

    /// recv(2) into `buffer`; 0 bytes means the peer closed its side.
    func receive(into buffer: UnsafeMutableRawBufferPointer, from address: SocketAddress) throws(SystemError) -> SystemCallResult<Int> {
        try withDescriptor { (descriptor) throws(SystemError) in
            try SystemCall.run("read", address: address) { recv(descriptor, buffer.baseAddress, buffer.count, 0) }
        }
    }

    /// send(2) with MSG_NOSIGNAL, so a peer that went away yields EPIPE
    /// instead of a SIGPIPE that would end the process.
    func send(_ buffer: UnsafeRawBufferPointer, to address: SocketAddress) throws(SystemError) -> SystemCallResult<Int> {
        try withDescriptor { (descriptor) throws(SystemError) in
            try SystemCall.run("write", address: address) {
                Glibc.send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
            }
        }
    }

    /// shutdown(2) of the sending side: the peer reads end of stream.
    func shutdownWrite(address: SocketAddress) throws(SystemError) {
        _ = try withDescriptor { (descriptor) throws(SystemError) in
            try SystemCall.runNow("shutdown", address: address) { Glibc.shutdown(descriptor, Int32(SHUT_WR)) }
        }
    }
}
