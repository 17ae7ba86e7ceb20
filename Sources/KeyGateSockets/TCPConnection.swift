import KeyGateSystem
import Glibc

/// A TCP connection on the event loop, with async reads and writes.
///
/// Reads and writes try their non-blocking system call first and suspend
/// only when it would block, so a read returns whatever has arrived (up to
/// the requested size) without waiting for more, and a write hands its
/// whole buffer to the kernel in as few calls as the socket buffer allows.
///
/// One read and one write may be pending at the same time, from two tasks;
/// a second concurrent read (or write) throws
/// `SystemError.operationInProgress` rather than interleave the stream.
///
/// An idle connection holds no buffer: a read allocates its result only
/// once data is there. `close()` (or releasing the last reference) closes
/// the socket; a task waiting in `read` or `write` then gets
/// `SystemError.closed`.
///
/// Cancelling the task of a pending `read` or `write` ends it promptly
/// with `CancellationError`. A cancelled or timed-out `readExactly` or
/// `write` may have moved part of its bytes: the stream is then out of
/// step and the connection should be closed.
public actor TCPConnection {
    /// The local end (the address and port the kernel chose for a client).
    public nonisolated let localAddress: SocketAddress
    /// The peer's address.
    public nonisolated let remoteAddress: SocketAddress

    let socket: Socket
    private var isReading = false
    private var isWriting = false
    /// The read sequence at which the receive queue was last seen empty
    /// (EAGAIN, or a short read, which for TCP means the same). With
    /// edge-triggered readiness the queue stays empty until the sequence
    /// changes, so the next read can wait without a doomed system call.
    private var emptyAtReadSequence: UInt64?

    init(socket: consuming Socket, localAddress: SocketAddress, remoteAddress: SocketAddress) {
        self.socket = socket
        self.localAddress = localAddress
        self.remoteAddress = remoteAddress
    }

    /// Connects to `address` without blocking a thread, with TCP_NODELAY on.
    ///
    /// - Parameters:
    ///   - source: the local address to connect from (port 0: any port);
    ///     nil lets the kernel choose, as usual.
    ///   - deadline: when to stop waiting for the handshake; nil waits as
    ///     long as the kernel keeps retrying (about two minutes).
    /// - Throws: `SystemError.callFailed("connect", errno, address)` (for
    ///   example ECONNREFUSED, ENETUNREACH), `TimedOut`,
    ///   `CancellationError`.
    public static func connect(
        to address: SocketAddress, from source: SocketAddress? = nil, deadline: Deadline? = nil
    ) async throws -> TCPConnection {
        let socket = try Socket(connectingTo: address, from: source, events: Socket.connectionEvents)
        let registration = socket.registration
        while true {
            // Taken before the checks: completion between a check and the
            // wait bumps it, so the wait returns at once.
            let sequence = registration.sequence(for: .write)
            let code = try socket.pendingError(address: address)
            guard code == 0 else {
                throw SystemError.callFailed(call: "connect", errno: code, address: address)
            }
            // Only a peer address proves that the handshake is done.
            if try socket.peerAddress() != nil {
                break
            }
            try await registration.wait(for: .write, since: sequence, deadline: deadline)
                .check("connect", address: address)
        }
        try socket.setOption(
            level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: 1, call: "setsockopt(TCP_NODELAY)", address: address)
        let localAddress = try socket.localAddress()
        return TCPConnection(socket: socket, localAddress: localAddress, remoteAddress: address)
    }

    /// Reads what has arrived, up to `maxByteCount` bytes, waiting only
    /// when nothing has.
    ///
    /// - Returns: at least one byte, or nil at the end of the stream (the
    ///   peer closed its side; later reads return nil again).
    /// - Throws: `SystemError.callFailed("read", ...)` (ECONNRESET when the
    ///   peer reset the connection), `TimedOut`,
    ///   `SystemError.closed`, `SystemError.operationInProgress` when
    ///   another read is pending, `CancellationError`.
    public func read(upTo maxByteCount: Int = 65536, deadline: Deadline? = nil) async throws -> [UInt8]? {
        precondition(maxByteCount > 0, "a read needs room for at least one byte")
        try beginReading()
        defer { isReading = false }
        return try await receive(upTo: maxByteCount, deadline: deadline)
    }

    /// Reads exactly `byteCount` bytes, waiting as long as needed (until
    /// `deadline` for the whole call).
    ///
    /// - Throws: `SystemError.unexpectedEndOfStream` when the stream ends
    ///   first (the bytes received so far are lost with it), and everything
    ///   `read(upTo:deadline:)` throws.
    public func readExactly(_ byteCount: Int, deadline: Deadline? = nil) async throws -> [UInt8] {
        precondition(byteCount >= 0, "cannot read a negative number of bytes")
        guard byteCount > 0 else { return [] }
        try beginReading()
        defer { isReading = false }
        guard var bytes = try await receive(upTo: byteCount, deadline: deadline) else {
            throw SystemError.unexpectedEndOfStream(expected: byteCount, received: 0)
        }
        if bytes.count < byteCount {
            bytes.reserveCapacity(byteCount)
        }
        while bytes.count < byteCount {
            guard let more = try await receive(upTo: byteCount - bytes.count, deadline: deadline) else {
                throw SystemError.unexpectedEndOfStream(expected: byteCount, received: bytes.count)
            }
            bytes.append(contentsOf: more)
        }
        return bytes
    }

    /// Writes all of `bytes`, waiting for room in the socket buffer as
    /// often as needed (until `deadline` for the whole call).
    ///
    /// - Throws: `SystemError.callFailed("write", ...)` (EPIPE or ECONNRESET
    ///   when the peer went away; never SIGPIPE), `TimedOut`,
    ///   `SystemError.closed`, `SystemError.operationInProgress` when
    ///   another write is pending, `CancellationError`.
    public func write(_ bytes: [UInt8], deadline: Deadline? = nil) async throws {
        guard !isWriting else { throw SystemError.operationInProgress("write") }
        isWriting = true
        defer { isWriting = false }
        let registration = socket.registration
        var offset = 0
        while offset < bytes.count {
            let sequence = registration.sequence(for: .write)
            let result = try bytes.withUnsafeBytes { buffer in
                try socket.send(UnsafeRawBufferPointer(rebasing: buffer[offset...]), to: remoteAddress)
            }
            if case let .completed(count) = result {
                offset += count
                if offset == bytes.count { return }
            }
            // EAGAIN, or a short send, which for TCP means the buffer filled
            // up: either way the next send would fail until the socket
            // reports room again.
            try await registration.wait(for: .write, since: sequence, deadline: deadline)
                .check("write", address: remoteAddress)
        }
    }

    /// Closes the sending side (TCP FIN): the peer reads the end of the
    /// stream, while this side can still read. Errors (the peer already
    /// reset the connection) are ignored: there is nothing left to send.
    public func shutdownWrite() {
        try? socket.shutdownWrite(address: remoteAddress)
    }

    /// Closes the connection. A pending read or write ends with
    /// `SystemError.closed`; later calls throw it. Idempotent.
    public func close() {
        socket.close()
    }

    /// Closes the connection with a TCP reset instead of an orderly FIN
    /// (SO_LINGER 0), discarding unsent data: for a peer that broke the
    /// protocol. The peer's next read fails with ECONNRESET.
    public func abort() {
        try? socket.setLingerZero(address: remoteAddress)
        socket.close()
    }

    /// Whether `close()` or `abort()` has been called.
    public var isClosed: Bool {
        !socket.isOpen
    }

    /// TCP_NODELAY: send small writes at once instead of coalescing them
    /// (Nagle). On by default.
    /// - Throws: `SystemError` from setsockopt, or `.closed`.
    public func setNoDelay(_ on: Bool) throws(SystemError) {
        try socket.setOption(
            level: Int32(IPPROTO_TCP), name: TCP_NODELAY, value: on ? 1 : 0,
            call: "setsockopt(TCP_NODELAY)", address: remoteAddress)
    }

    /// SO_KEEPALIVE: let the kernel probe an idle peer and fail reads once
    /// it is gone. Off by default.
    /// - Throws: `SystemError` from setsockopt, or `.closed`.
    public func setKeepAlive(_ on: Bool) throws(SystemError) {
        try socket.setOption(
            level: SOL_SOCKET, name: SO_KEEPALIVE, value: on ? 1 : 0,
            call: "setsockopt(SO_KEEPALIVE)", address: remoteAddress)
    }

    /// How a connection notices a peer that vanished without closing (a
    /// machine switched off, a cable pulled, a NAT that forgot it): no FIN
    /// ever comes, so without this a read would wait for ever.
    public struct DeadPeerDetection: Sendable, Equatable {
        /// Quiet time before the first keepalive probe.
        public var idle: Duration
        /// Time between probes.
        public var interval: Duration
        /// Unanswered probes before the connection is given up.
        public var probes: Int

        public init(idle: Duration, interval: Duration, probes: Int) {
            self.idle = idle
            self.interval = interval
            self.probes = probes
        }

        /// How long a vanished peer can go unnoticed, idle or not: also the
        /// limit on data left unacknowledged (TCP_USER_TIMEOUT).
        public var limit: Duration { idle + interval * probes }
    }

    /// Turns on keepalive probes (SO_KEEPALIVE with TCP_KEEPIDLE,
    /// TCP_KEEPINTVL, TCP_KEEPCNT) and TCP_USER_TIMEOUT, so that a peer that
    /// vanished is noticed within `detection.limit` whether the connection
    /// is idle or has data in flight: pending reads and writes then fail
    /// (ETIMEDOUT).
    /// - Throws: `SystemError` from setsockopt, or `.closed`.
    public func detectDeadPeer(_ detection: DeadPeerDetection) throws(SystemError) {
        func seconds(_ duration: Duration) -> Int32 { Int32(max(1, duration.components.seconds)) }
        let tcp = Int32(IPPROTO_TCP)
        try socket.setOption(level: SOL_SOCKET, name: SO_KEEPALIVE, value: 1, call: "setsockopt(SO_KEEPALIVE)", address: remoteAddress)
        try socket.setOption(level: tcp, name: TCP_KEEPIDLE, value: seconds(detection.idle), call: "setsockopt(TCP_KEEPIDLE)", address: remoteAddress)
        try socket.setOption(level: tcp, name: TCP_KEEPINTVL, value: seconds(detection.interval), call: "setsockopt(TCP_KEEPINTVL)", address: remoteAddress)
        try socket.setOption(level: tcp, name: TCP_KEEPCNT, value: Int32(max(1, detection.probes)), call: "setsockopt(TCP_KEEPCNT)", address: remoteAddress)
        let milliseconds = detection.limit.components.seconds * 1000 + detection.limit.components.attoseconds / 1_000_000_000_000_000
        try socket.setOption(level: tcp, name: Int32(TCP_USER_TIMEOUT), value: Int32(clamping: milliseconds),
                             call: "setsockopt(TCP_USER_TIMEOUT)", address: remoteAddress)
    }

    /// The keepalive settings in force, as the kernel reports them (tests
    /// and diagnostics): on or off, idle and interval in seconds, probes,
    /// and the user timeout in milliseconds.
    public func keepAliveSettings() throws(SystemError) -> (on: Bool, idle: Int32, interval: Int32, probes: Int32, userTimeout: Int32) {
        let tcp = Int32(IPPROTO_TCP)
        return (
            try socket.option(level: SOL_SOCKET, name: SO_KEEPALIVE, call: "getsockopt(SO_KEEPALIVE)", address: remoteAddress) != 0,
            try socket.option(level: tcp, name: TCP_KEEPIDLE, call: "getsockopt(TCP_KEEPIDLE)", address: remoteAddress),
            try socket.option(level: tcp, name: TCP_KEEPINTVL, call: "getsockopt(TCP_KEEPINTVL)", address: remoteAddress),
            try socket.option(level: tcp, name: TCP_KEEPCNT, call: "getsockopt(TCP_KEEPCNT)", address: remoteAddress),
            try socket.option(level: tcp, name: Int32(TCP_USER_TIMEOUT), call: "getsockopt(TCP_USER_TIMEOUT)", address: remoteAddress))
    }

    private func beginReading() throws(SystemError) {
        guard !isReading else { throw .operationInProgress("read") }
        isReading = true
    }

    /// One read: the system call unless the queue is known to be empty,
    /// then waits for readiness and tries again.
    private func receive(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]? {
        let registration = socket.registration
        while true {
            let (sequence, hasHungUp) = registration.readSnapshot()
            if sequence != emptyAtReadSequence || hasHungUp {
                var result = SystemCallResult<Int>.wouldBlock
                var failure: SystemError?
                // The buffer exists only for the call and is freed when it
                // would block: nothing is held while waiting.
                var bytes = [UInt8](unsafeUninitializedCapacity: maxByteCount) { buffer, initialized in
                    do throws(SystemError) {
                        result = try socket.receive(into: UnsafeMutableRawBufferPointer(buffer), from: remoteAddress)
                    } catch {
                        failure = error
                    }
                    if case let .completed(count) = result {
                        initialized = count
                    }
                }
                if let failure { throw failure }
                switch result {
                case .completed(0):
                    return nil
                case let .completed(count):
                    if count < maxByteCount {
                        emptyAtReadSequence = sequence
                        // Don't hand out a large, mostly empty buffer that the
                        // caller might keep.
                        if count <= maxByteCount / 8 {
                            bytes = bytes.withUnsafeBufferPointer { Array($0) }
                        }
                    }
                    return bytes
                case .wouldBlock:
                    emptyAtReadSequence = sequence
                }
            }
            try await registration.wait(for: .read, since: sequence, deadline: deadline)
                .check("read", address: remoteAddress)
        }
    }
}
