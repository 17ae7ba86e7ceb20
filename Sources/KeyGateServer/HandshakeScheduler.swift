import KeyGateSystem
import Glibc
import KeyGateChannel
import Synchronization

/// Shares the server's handshake computing (the Diffie-Hellman work of
/// each message) fairly between source addresses: a source that floods
/// FFDHE message 1s gets its turns, and every other source gets as many,
/// so no single address can take more than an equal share of the CPU from
/// the others while they are waiting. When nobody else waits, a source may
/// use all of it (the scheduler never idles a core).
///
/// How: start-time fair queuing. Each source has a virtual finish time that
/// grows by what its turns actually cost (measured around the synchronous
/// Noise work); a free turn goes to the waiting source with the earliest
/// virtual start, so a source whose messages are expensive falls behind
/// cheap ones instead of delaying them. At most `turns` messages compute at
/// once, so a waiter never waits for more than the turns in progress to end.
///
/// By default one core stays free of handshake computing: a message's
/// Diffie-Hellman work runs for milliseconds (FFDHE) on a thread of the
/// cooperative pool, which has one thread per core, and with every thread
/// computing, each step of everything else (running sessions, other
/// clients' I/O) would queue behind it. Measured on 2 cores with an FFDHE
/// flood from one address: with both cores computing, other clients' setups
/// took 0.3 to 0.6 s; with one, about 15 ms.
public final class HandshakeScheduler: Sendable {
    /// Messages computed at once.
    public let turns: Int

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<HandshakeWorkTicket, any Error>
    }

    private struct Source {
        /// Virtual time (nanoseconds of computing) at which this source's
        /// turns so far end.
        var finish: Int64 = 0
        var waiters: [Waiter] = []
    }

    private struct State {
        var free: Int
        var virtualTime: Int64 = 0
        var sources: [String: Source] = [:]
        var waiting = 0
        var nextWaiterID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// - Parameter turns: messages computed at once.
    public init(turns: Int = HandshakeScheduler.defaultTurns) {
        precondition(turns > 0, "a scheduler needs at least one turn")
        self.turns = turns
        state = Mutex(State(free: turns))
    }

    /// One per processor online but one, and at least one.
    public static var defaultTurns: Int { max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)) - 1) }

    /// The gate for the handshakes of `source` (an IP address).
    public func gate(for source: String) -> some HandshakeWorkGate {
        SourceGate(scheduler: self, source: source)
    }

    /// Waiting messages, all sources together (for tests and logs).
    public var waitingCount: Int { state.withLock { $0.waiting } }

    private struct SourceGate: HandshakeWorkGate {
        let scheduler: HandshakeScheduler
        let source: String

        func enter() async throws -> HandshakeWorkTicket {
            try await scheduler.enter(source)
        }

        func leave(_ ticket: HandshakeWorkTicket, cost: Duration) {
            scheduler.leave(source, ticket, cost: cost)
        }
    }

    fileprivate func enter(_ source: String) async throws -> HandshakeWorkTicket {
        // The common case, nobody waiting: a turn at once, no suspension.
        let immediate: HandshakeWorkTicket? = state.withLock { state in
            guard state.free > 0, state.waiting == 0 else { return nil }
            state.free -= 1
            return Self.start(source, in: &state)
        }
        if let immediate { return immediate }
        let id = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<HandshakeWorkTicket, any Error>) in
                let ticket: Result<HandshakeWorkTicket, any Error>? = state.withLock { state in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if state.free > 0 && state.waiting == 0 {
                        state.free -= 1
                        return .success(Self.start(source, in: &state))
                    }
                    state.sources[source, default: Source()].waiters.append(Waiter(id: id, continuation: continuation))
                    state.waiting += 1
                    return nil
                }
                if let ticket { continuation.resume(with: ticket) }
            }
        } onCancel: {
            let waiter: Waiter? = state.withLock { state in
                guard let index = state.sources[source]?.waiters.firstIndex(where: { $0.id == id }) else { return nil }
                state.waiting -= 1
                return state.sources[source]?.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
    }

    fileprivate func leave(_ source: String, _ ticket: HandshakeWorkTicket, cost: Duration) {
        let nanoseconds = max(1, cost.components.seconds * 1_000_000_000 + cost.components.attoseconds / 1_000_000_000)
        let next: (Waiter, HandshakeWorkTicket)? = state.withLock { state in
            var finished = state.sources[source] ?? Source()
            finished.finish = max(finished.finish, ticket.value) + nanoseconds
            state.sources[source] = finished
            defer { Self.forgetIdleSources(&state) }
            // The waiting source with the earliest virtual start gets the turn.
            var chosen: String?
            var earliest = Int64.max
            for (name, candidate) in state.sources where !candidate.waiters.isEmpty {
                let start = max(state.virtualTime, candidate.finish)
                if start < earliest {
                    earliest = start
                    chosen = name
                }
            }
            guard let chosen else {
                state.free += 1
                return nil
            }
            let waiter = state.sources[chosen]!.waiters.removeFirst()
            state.waiting -= 1
            return (waiter, Self.start(chosen, in: &state))
        }
        if let (waiter, ticket) = next { waiter.continuation.resume(returning: ticket) }
    }

    /// A turn of `source` starts now: virtual time moves to its start.
    private static func start(_ source: String, in state: inout State) -> HandshakeWorkTicket {
        let start = max(state.virtualTime, state.sources[source]?.finish ?? 0)
        state.virtualTime = start
        return HandshakeWorkTicket(value: start)
    }

    /// Sources with nothing waiting and no advantage left are forgotten, so
    /// the table holds only the sources active now.
    private static func forgetIdleSources(_ state: inout State) {
        guard state.sources.count > 64 else { return }
        let now = state.virtualTime
        state.sources = state.sources.filter { !$0.value.waiters.isEmpty || $0.value.finish > now }
    }
}
