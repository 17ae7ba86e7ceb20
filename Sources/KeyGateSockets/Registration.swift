import KeyGateSystem
import CKeyGateSystem
import Synchronization

/// One descriptor's membership in the event loop: its readiness sequence
/// numbers and the (at most one) task waiting to read and to write.
///
/// The registration knows its descriptor's number only to find it in the
/// event loop's table and to remove it from epoll; it never reads, writes
/// or closes it: `Socket` owns the descriptor.
///
/// Lost wakeups are avoided with sequence numbers: an operation takes
/// `sequence(for:)` *before* its system call, and if the call would block
/// it waits "since" that sequence. The event loop bumps the sequence for
/// every readiness event, so readiness that arrived between the system call
/// and the wait is seen at once and the wait returns `.ready` immediately.
///
/// Lock order: a registration's lock may be held while taking the event
/// loop's lock (to arm a timer), never the reverse.
final class Registration: Sendable {
    /// Which readiness a waiter wants.
    enum Direction: Sendable {
        case read, write
    }

    /// How a wait ended.
    enum WaitOutcome: Sendable {
        /// A readiness event arrived (or had arrived since the sequence was
        /// taken): retry the system call.
        case ready
        /// The deadline passed first.
        case timedOut
        /// The waiting task was cancelled.
        case cancelled
        /// The socket was closed.
        case closed
    }

    private struct Waiter {
        let id: UInt64
        let continuation: UnsafeContinuation<WaitOutcome, Never>
        let timer: UInt64?
    }

    private struct State {
        var readSequence: UInt64 = 0
        var writeSequence: UInt64 = 0
        var reader: Waiter?
        var writer: Waiter?
        var isClosed = false
        /// Sticky: the peer closed or reset, or the socket has an error.
        var hasHungUp = false

        func sequence(for direction: Direction) -> UInt64 {
            direction == .read ? readSequence : writeSequence
        }

        mutating func takeWaiter(for direction: Direction, id: UInt64? = nil) -> Waiter? {
            switch direction {
            case .read:
                guard let reader, id == nil || reader.id == id else { return nil }
                self.reader = nil
                return reader
            case .write:
                guard let writer, id == nil || writer.id == id else { return nil }
                self.writer = nil
                return writer
            }
        }
    }

    /// The descriptor number, as registered with epoll.
    let descriptor: Int32
    /// Distinguishes this registration from an earlier or later one of the
    /// same descriptor number, after a close and reuse.
    let generation: UInt32
    /// The loop this registration belongs to.
    let loop: EventLoop
    private let state = Mutex(State())
    private let lastWaiterID = Atomic<UInt64>(0)

    init(descriptor: Int32, generation: UInt32, loop: EventLoop) {
        self.descriptor = descriptor
        self.generation = generation
        self.loop = loop
    }

    /// What epoll stores in `data.u64` and hands back with each event: the
    /// generation in the high half, the descriptor in the low half.
    var key: UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: descriptor))
    }

    /// The readiness sequence for `direction`, to take before a system call
    /// that may return "would block".
    func sequence(for direction: Direction) -> UInt64 {
        state.withLock { $0.sequence(for: direction) }
    }

    /// The read sequence, and whether the peer has closed its side, reset
    /// the connection, or an error is pending: after that, a short read no
    /// longer means that the receive queue is empty (it may have stopped at
    /// the end of the stream or at the error), so `TCPConnection` must not
    /// skip the next system call.
    func readSnapshot() -> (sequence: UInt64, hasHungUp: Bool) {
        state.withLock { ($0.readSequence, $0.hasHungUp) }
    }

    /// Whether a task is waiting for `direction` (for tests and diagnostics).
    func isWaiting(for direction: Direction) -> Bool {
        state.withLock { direction == .read ? $0.reader != nil : $0.writer != nil }
    }

    /// Suspends until readiness for `direction` newer than `sequence`, the
    /// deadline, cancellation of the current task, or `close()`.
    ///
    /// Every path resumes the continuation exactly once: it is resumed
    /// either right here (the outcome was known before it was stored) or by
    /// whoever removes it from the state under the lock (event, timer,
    /// cancellation, close), and only one of them can remove it.
    /// Cancellation before the continuation is stored is seen through
    /// `Task.isCancelled`, which is set before cancellation handlers run.
    ///
    /// Only one task may wait per direction; the socket actors ensure it.
    func wait(for direction: Direction, since sequence: UInt64, deadline: Deadline?) async -> WaitOutcome {
        let id = lastWaiterID.wrappingAdd(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<WaitOutcome, Never>) in
                let immediate = state.withLock { state -> WaitOutcome? in
                    if state.isClosed { return .closed }
                    if state.sequence(for: direction) != sequence { return .ready }
                    if Task.isCancelled { return .cancelled }
                    var timer: UInt64?
                    if let deadline {
                        // A deadline that passed before the timer is armed
                        // would never fire: decide it here.
                        if deadline.hasPassed() { return .timedOut }
                        timer = loop.addTimer(
                            deadline: deadline, registration: self, direction: direction, waiterID: id)
                    }
                    let waiter = Waiter(id: id, continuation: continuation, timer: timer)
                    switch direction {
                    case .read:
                        precondition(state.reader == nil, "two tasks waiting to read one socket")
                        state.reader = waiter
                    case .write:
                        precondition(state.writer == nil, "two tasks waiting to write one socket")
                        state.writer = waiter
                    }
                    return nil
                }
                if let immediate {
                    continuation.resume(returning: immediate)
                }
            }
        } onCancel: {
            resume(direction, waiterID: id, with: .cancelled)
        }
    }

    /// Called by the event loop with an epoll event mask: bumps the
    /// sequences and resumes the waiters it concerns.
    func signal(events: UInt32) {
        let readable = events & (CKG_EPOLLIN | CKG_EPOLLRDHUP | CKG_EPOLLHUP | CKG_EPOLLERR) != 0
        let writable = events & (CKG_EPOLLOUT | CKG_EPOLLHUP | CKG_EPOLLERR) != 0
        let (reader, writer) = state.withLock { state -> (Waiter?, Waiter?) in
            var reader: Waiter?
            var writer: Waiter?
            if events & (CKG_EPOLLRDHUP | CKG_EPOLLHUP | CKG_EPOLLERR) != 0 {
                state.hasHungUp = true
            }
            if readable {
                state.readSequence &+= 1
                reader = state.takeWaiter(for: .read)
            }
            if writable {
                state.writeSequence &+= 1
                writer = state.takeWaiter(for: .write)
            }
            return (reader, writer)
        }
        if let reader { finish(reader, with: .ready) }
        if let writer { finish(writer, with: .ready) }
    }

    /// Called by the event loop when the timer of waiter `waiterID` fired.
    func expire(_ direction: Direction, waiterID: UInt64) {
        resume(direction, waiterID: waiterID, with: .timedOut)
    }

    /// Marks the registration closed and resumes both waiters with
    /// `.closed`; later waits return `.closed` at once. Idempotent.
    func close() {
        let (reader, writer) = state.withLock { state -> (Waiter?, Waiter?) in
            state.isClosed = true
            return (state.takeWaiter(for: .read), state.takeWaiter(for: .write))
        }
        if let reader { finish(reader, with: .closed) }
        if let writer { finish(writer, with: .closed) }
    }

    private func resume(_ direction: Direction, waiterID: UInt64, with outcome: WaitOutcome) {
        let waiter = state.withLock { $0.takeWaiter(for: direction, id: waiterID) }
        if let waiter { finish(waiter, with: outcome) }
    }

    /// Resumes a waiter already removed from the state, outside the lock.
    private func finish(_ waiter: Waiter, with outcome: WaitOutcome) {
        if let timer = waiter.timer, outcome != .timedOut {
            loop.removeTimer(timer)
        }
        waiter.continuation.resume(returning: outcome)
    }
}

extension Registration.WaitOutcome {
    /// Returns for `.ready`, throws for every other outcome.
    /// - Throws: `TimedOut` (naming the operation and address),
    ///   `CancellationError`, or `SystemError.closed`.
    func check(_ operation: String, address: SocketAddress?) throws {
        switch self {
        case .ready:
            return
        case .timedOut:
            throw TimedOut(while: SystemError.subject(operation, address))
        case .cancelled:
            throw CancellationError()
        case .closed:
            throw SystemError.closed
        }
    }
}
