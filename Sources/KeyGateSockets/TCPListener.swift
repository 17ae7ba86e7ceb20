import KeyGateSystem
import Glibc

/// A listening TCP socket on the event loop.
///
/// `accept` returns connections as they arrive without blocking a thread;
/// one `accept` may be pending at a time. `close()` (or releasing the last
/// reference) stops listening; a pending `accept` then ends with
/// `SystemError.closed`.
public actor TCPListener {
    /// The bound address, with the real port after binding to port 0.
    public nonisolated let localAddress: SocketAddress

    let socket: Socket
    private var isAccepting = false

    /// Whether `close()` has not been called yet (callable from anywhere:
    /// the socket's state sits behind its own lock).
    public nonisolated var isOpen: Bool { socket.isOpen }

    init(socket: consuming Socket, localAddress: SocketAddress) {
        self.socket = socket
        self.localAddress = localAddress
    }

    /// Listens on `address` with SO_REUSEADDR (so a restarted server can
    /// bind while old connections linger in TIME_WAIT); port 0 picks an
    /// ephemeral port, readable from `localAddress`.
    ///
    /// - Parameter backlog: connections the kernel completes before they
    ///   are accepted (capped by net.core.somaxconn).
    /// - Throws: `SystemError.callFailed` from socket, bind or listen, e.g.
    ///   EADDRINUSE or EACCES.
    public static func bind(to address: SocketAddress, backlog: Int32 = 4096) throws(SystemError) -> TCPListener {
        let socket = try Socket(listeningOn: address, backlog: backlog, events: Socket.listenerEvents)
        let localAddress = try socket.localAddress()
        return TCPListener(socket: socket, localAddress: localAddress)
    }

    /// Listens on a free port of `portRange` on `host`, trying the ports in
    /// random order and moving on when one is in use.
    ///
    /// - Throws: `SystemError.portRangeExhausted` when every port is taken,
    ///   `SystemError.invalidAddress` for a bad host, or the first other
    ///   error of socket, bind or listen.
    public static func bind(
        host: String, portRange: ClosedRange<UInt16>, backlog: Int32 = 4096
    ) throws(SystemError) -> TCPListener {
        let base = try SocketAddress(host: host, port: 0)
        // Port 0 would mean "any port", outside the range.
        let ports = portRange.filter { $0 != 0 }
        for index in randomOrder(of: ports.count) {
            do {
                return try bind(to: base.withPort(ports[index]), backlog: backlog)
            } catch {
                guard error.errno == EADDRINUSE else { throw error }
            }
        }
        throw .portRangeExhausted(host: base.host, range: portRange)
    }

    /// Every index below `count` once, starting at a random one and going
    /// on by a random step coprime to `count`: a random first port for two
    /// random numbers, where shuffling the range cost one getrandom call
    /// per port (a thousand system calls for each session granted).
    static func randomOrder(of count: Int) -> some Sequence<Int> {
        guard count > 1 else { return (0..<count).lazy.map { $0 } }
        let start = Int.random(in: 0..<count)
        var step = Int.random(in: 1..<count)
        while greatestCommonDivisor(step, count) != 1 { step = Int.random(in: 1..<count) }
        return (0..<count).lazy.map { (start + $0 * step) % count }
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (a, b) = (a, b)
        while b != 0 { (a, b) = (b, a % b) }
        return a
    }

    /// Waits for the next connection and returns it, with TCP_NODELAY on.
    ///
    /// - Throws: `TimedOut` at `deadline` (nil: no limit),
    ///   `CancellationError`, `SystemError.closed` when the listener is
    ///   closed, `SystemError.operationInProgress` when another accept is
    ///   pending, `SystemError.callFailed("accept", ...)` e.g. EMFILE (the
    ///   connection stays queued; retry after closing some descriptors).
    public func accept(deadline: Deadline? = nil) async throws -> TCPConnection {
        guard !isAccepting else { throw SystemError.operationInProgress("accept") }
        isAccepting = true
        defer { isAccepting = false }
        let registration = socket.registration
        while true {
            let sequence = registration.sequence(for: .read)
            let result: SystemCallResult<(Int32, SocketAddress)>
            do {
                result = try socket.accept(address: localAddress)
            } catch {
                // The client gave up before it was accepted; take the next one.
                guard error.errno == ECONNABORTED else { throw error }
                continue
            }
            if case let .completed((descriptor, peer)) = result {
                return try makeConnection(descriptor, peer: peer)
            }
            try await registration.wait(for: .read, since: sequence, deadline: deadline)
                .check("accept", address: localAddress)
        }
    }

    /// Stops listening. A pending `accept` ends with `SystemError.closed`;
    /// later calls throw it. Idempotent.
    public func close() {
        socket.close()
    }

    private func makeConnection(_ descriptor: Int32, peer: SocketAddress) throws(SystemError) -> TCPConnection {
        let connection = try Socket(adopting: descriptor, events: Socket.connectionEvents)
        // Fails only if the peer already reset: its first read will say so.
        try? connection.setOption(
            level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1, call: "setsockopt(TCP_NODELAY)", address: peer)
        // Bound to one address, the local end is that address; bound to the
        // wildcard, the kernel knows which of the machine's addresses.
        let local = localAddress.isUnspecified ? ((try? connection.localAddress()) ?? localAddress) : localAddress
        return TCPConnection(socket: connection, localAddress: local, remoteAddress: peer)
    }
}
