import Glibc

/// Tells the service manager how the server is doing, as systemd's
/// `Type=notify` asks (sd_notify(3), without libsystemd): one datagram of
/// `KEY=VALUE` lines to the AF_UNIX socket named by `$NOTIFY_SOCKET`, a
/// path or, starting with `@`, an abstract name.
///
/// Without the variable every call does nothing. A send never blocks: the
/// socket is non-blocking, and a message the manager cannot take at once
/// is dropped (it is state, not data; the next one says it again).
public struct ServiceNotifier: Sendable {
    /// The socket's address as given, nil when the variable is not set.
    public let socketName: String?

    /// The environment variable that names the socket.
    public static let environmentVariable = "NOTIFY_SOCKET"

    /// A notifier for the socket `$NOTIFY_SOCKET` names, if any.
    public init() {
        let value = getenv(Self.environmentVariable).map { String(cString: $0) }
        socketName = value?.isEmpty == false ? value : nil
    }

    /// A notifier for `socketName` (tests).
    public init(socketName: String?) {
        self.socketName = socketName
    }

    /// Why a message could not be sent.
    public struct Failure: Error, CustomStringConvertible {
        public let socketName: String
        public let call: String
        public let errno: Int32
        public var description: String {
            "cannot notify the service manager at \(socketName) (\(call): \(String(cString: strerror(errno)))); "
                + "check NOTIFY_SOCKET, or leave Type=notify out of the unit"
        }
    }

    /// `READY=1`: started, or done reloading; `status` is shown by
    /// `systemctl status`.
    public func ready(status: String) throws(Failure) {
        try send("READY=1\nSTATUS=\(status)")
    }

    /// `RELOADING=1` with `MONOTONIC_USEC`, the time on CLOCK_MONOTONIC that
    /// systemd requires with it (systemd.service(5), Type=notify-reload);
    /// `READY=1` must follow when the reload is done.
    public func reloading() throws(Failure) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        try send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=reloading")
    }

    /// `STOPPING=1`: shutting down.
    public func stopping() throws(Failure) {
        try send("STOPPING=1\nSTATUS=stopping")
    }

    /// Sends `message` as one datagram; nothing without a socket.
    public func send(_ message: String) throws(Failure) {
        guard let name = socketName else { return }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // An abstract name starts with a NUL byte instead of '@' and is not
        // NUL-terminated: its length is the address length.
        var path = Array(name.utf8)
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.count < capacity, abstract || path.first == UInt8(ascii: "/") else {
            throw Failure(socketName: name, call: "address", errno: EINVAL)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + path.count + (abstract ? 0 : 1))
        let descriptor = try SystemCall.runNow({ socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0) }) {
            Failure(socketName: name, call: "socket", errno: $0)
        }
        defer { _ = close(descriptor) }
        let bytes = Array(message.utf8)
        let result = try SystemCall.run({
            bytes.withUnsafeBytes { body in
                withUnsafePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(descriptor, body.baseAddress, body.count, Int32(MSG_NOSIGNAL), $0, length)
                    }
                }
            }
        }) { Failure(socketName: name, call: "sendto", errno: $0) }
        // A full queue: the message is dropped rather than waited for.
        _ = result
    }
}
