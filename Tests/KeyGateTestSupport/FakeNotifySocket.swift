import Foundation
import Glibc

/// A stand-in for systemd's notification socket: an AF_UNIX datagram
/// socket bound to a path in a temporary folder, or to an abstract name
/// (`@...`), whose messages a test reads.
public final class FakeNotifySocket: Sendable {
    /// What `NOTIFY_SOCKET` is set to.
    public let name: String
    private let descriptor: Int32
    private let directory: TemporaryDirectory?

    public init(abstract: Bool) throws {
        let directory = abstract ? nil : TemporaryDirectory("keygate-notify")
        name = abstract ? "@keygate-test-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" : directory!.appending("notify")
        self.directory = directory
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(name.utf8)
        if abstract { path[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else {
            let code = errno
            close(descriptor)
            throw POSIXError(.init(rawValue: code) ?? .EIO)
        }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// The next message, or nil after 10 s without one.
    public func receive() async -> String? {
        let descriptor = self.descriptor
        return (try? await onFileThread { () -> String? in
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            return count < 0 ? nil : String(decoding: buffer[..<count], as: UTF8.self)
        }) ?? nil
    }

    public func remove() {
        close(descriptor)
        directory?.remove()
    }
}
