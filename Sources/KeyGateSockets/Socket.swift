import KeyGateSystem
import CKeyGateSystem
import Glibc
import Synchronization

/// The single owner of one non-blocking socket descriptor and its event
/// loop registration.
///
/// Non-copyable, so the descriptor cannot be duplicated by accident; the
/// number itself sits in a `Mutex` and every system call runs under it, so
/// `close()` can never race a call on the same number and then let that
/// call reach a new socket that reused it. The descriptor is closed exactly
/// once: by `close()` or, if nobody did, when the owner goes away.
struct Socket: ~Copyable {
    /// EPOLL events for a connected (or connecting) stream socket.
    static let connectionEvents = CKG_EPOLLIN | CKG_EPOLLOUT | CKG_EPOLLRDHUP
    /// EPOLL events for a listening socket.
    static let listenerEvents = CKG_EPOLLIN

    /// socket(2) type: every socket is non-blocking and close-on-exec.
    private static let streamType = Int32(bitPattern: SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue)

    /// The descriptor, -1 once closed.
    private let descriptor: Mutex<Int32>
    /// Readiness and waiters, known to the event loop.
    let registration: Registration

    /// Adopts `descriptor` (non-blocking, close-on-exec) and registers it
    /// with the event loop for `events`.
    /// - Throws: `SystemError` when registration fails; the descriptor is
    ///   closed then.
    init(adopting descriptor: Int32, events: UInt32, loop: EventLoop = .shared) throws(SystemError) {
        do {
            registration = try loop.register(descriptor: descriptor, events: events)
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        self.descriptor = Mutex(descriptor)
    }

    /// A new TCP socket for `family` (AF_INET or AF_INET6), registered with
    /// the event loop for `events`.
    /// - Throws: `SystemError.callFailed("socket", ...)`, e.g. EMFILE, or
    ///   EAFNOSUPPORT where IPv6 is disabled.
    init(family: Int32, events: UInt32, address: SocketAddress? = nil) throws(SystemError) {
        let descriptor = try SystemCall.runNow("socket", address: address) {
            Glibc.socket(family, Self.streamType, 0)
        }
        try self.init(adopting: descriptor, events: events)
    }

    /// A new TCP socket for `address`'s family with connect(2) already
    /// issued, registered with the event loop for `events` only then: while
    /// the handshake runs (SYN_SENT) epoll reports nothing, whereas a socket
    /// registered before connect(2) reports the hang-up of its unconnected
    /// state, which would stay on record for the whole connection.
    ///
    /// The handshake may still be in progress: wait for writability, then
    /// check `pendingError` and `peerAddress`.
    /// - Throws: `SystemError.callFailed("socket" or "connect", ...)` when
    ///   the call fails at once (ECONNREFUSED on loopback, ENETUNREACH).
    init(connectingTo address: SocketAddress, from source: SocketAddress? = nil, events: UInt32) throws(SystemError) {
        let descriptor = try SystemCall.runNow("socket", address: address) {
            Glibc.socket(address.family, Self.streamType, 0)
        }
        do {
            if let source {
                _ = try SystemCall.runNow("bind", address: source) {
                    source.withSocketAddress { Glibc.bind(descriptor, $0, $1) }
                }
            }
            // Completed or in progress (EINPROGRESS) are both fine here.
            _ = try SystemCall.run("connect", address: address) {
                address.withSocketAddress { Glibc.connect(descriptor, $0, $1) }
            }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        try self.init(adopting: descriptor, events: events)
    }

    /// A new TCP socket listening on `address` (with SO_REUSEADDR),
    /// registered with the event loop for `events` only once it listens: a
    /// socket registered before listen(2) reports the hang-up of its
    /// unconnected state at once, a wake-up of the loop for nothing, once
    /// for every passive listener.
    /// - Throws: `SystemError.callFailed` from socket, setsockopt, bind or
    ///   listen, e.g. EADDRINUSE or EACCES.
    init(listeningOn address: SocketAddress, backlog: Int32, events: UInt32) throws(SystemError) {
        let descriptor = try SystemCall.runNow("socket", address: address) {
            Glibc.socket(address.family, Self.streamType, 0)
        }
        do {
            var one: Int32 = 1
            _ = try SystemCall.runNow("setsockopt(SO_REUSEADDR)", address: address) {
                setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            }
            _ = try SystemCall.runNow("bind", address: address) {
                address.withSocketAddress { Glibc.bind(descriptor, $0, $1) }
            }
            _ = try SystemCall.runNow("listen", address: address) { Glibc.listen(descriptor, backlog) }
        } catch {
            Glibc.close(descriptor)
            throw error
        }
        try self.init(adopting: descriptor, events: events)
    }

    deinit {
        close()
    }

    /// Whether `close()` has not been called yet.
    var isOpen: Bool {
        descriptor.withLock { $0 >= 0 }
    }

    /// Runs `body` with the open descriptor, holding it open for the call.
    /// - Throws: `SystemError.closed` after `close()`, or what `body` throws.
    func withDescriptor<Result>(_ body: (Int32) throws(SystemError) -> Result) throws(SystemError) -> Result {
        try descriptor.withLock { (descriptor: inout Int32) throws(SystemError) -> Result in
            guard descriptor >= 0 else { throw .closed }
            return try body(descriptor)
        }
    }

    /// Resumes any waiting task with `SystemError.closed`, removes the
    /// descriptor from the event loop and closes it. Idempotent.
    func close() {
        let number = descriptor.withLock { descriptor in
            defer { descriptor = -1 }
            return descriptor
        }
        guard number >= 0 else { return }
        registration.close()
        registration.loop.deregister(registration)
        // The result is ignored on purpose: after close(2) the descriptor is
        // released whatever it returns (EINTR included), and retrying could
        // close another socket that reused the number.
        _ = Glibc.close(number)
    }
}
