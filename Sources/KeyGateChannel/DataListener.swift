import KeyGateSystem
import KeyGateSockets
import Synchronization

/// A listener of the data range that accepts only a connection with proof
/// of the session's secrets: the session's data port, proven by `RESUME`
/// under the session keys (PROTOCOL.md section 4), and FTP passive ports,
/// proven by the NNpsk0 handshake of the passive number (section 6).
///
/// Candidates are checked concurrently, so a stranger that connects and
/// stays silent holds up nobody. They are examined in two shares (section
/// 4.3): one for connections from the address that made the handshake, one
/// for all others. When a share is full, a new connection replaces the
/// oldest unverified connection of its own share, which is closed: a new
/// connection is never refused for lack of room, so strangers cannot crowd
/// out the rightful client, whose connection proves itself at once (and
/// who connects again if it was cut, section 4.4). Each stranger is closed
/// and summarised in the failure log. The listener is closed on every exit.
public struct DataListener: Sendable {
    public let listener: TCPListener
    /// The IP address that made the session's handshake: its connections
    /// have a share of their own.
    public let handshakeHost: String
    /// Unverified candidates examined at once in each share.
    public let share: Int
    /// Where strangers are reported.
    public let failures: FailureLog

    public init(listener: TCPListener, handshakeHost: String, share: Int, failures: FailureLog) {
        precondition(share >= 1, "a share holds at least one candidate")
        self.listener = listener
        self.handshakeHost = handshakeHost
        self.share = share
        self.failures = failures
    }

    /// Section 4: the first connection whose first frame, within
    /// `firstFrameTimeout`, decrypts to `RESUME` under `keys` (each
    /// candidate on its own copy, so a stranger never moves the session's
    /// nonce); nil when none did before `deadline`.
    /// - Parameter onClaimed: runs on the proven connection once it can no
    ///   longer be replaced (dead-peer detection); a throw fails it.
    public func awaitResume(
        keys: SessionKeys, until deadline: Deadline, firstFrameTimeout: Duration,
        onClaimed: @escaping @Sendable (TCPConnection) async throws -> Void = { _ in }
    ) async -> SecureChannel? {
        await firstAuthentic(until: deadline, strangers: .strangerOnDataPort, "stranger on data port closed") { connection, claim in
            let channel = try await SecureChannel.acceptResume(over: connection, keys: keys, deadline: .now + firstFrameTimeout)
            try claim()
            try await onClaimed(connection)
            return channel
        }
    }

    /// Section 6: the first connection that completes, within
    /// `handshakeTimeout`, the NNpsk0 handshake of passive command
    /// `passiveNumber` keyed by `authority`; nil when none did before `deadline`.
    public func awaitDataConnection(
        passiveNumber: UInt64, authority: DataConnectionAuthority, until deadline: Deadline, handshakeTimeout: Duration
    ) async -> SecureChannel? {
        await firstAuthentic(until: deadline, strangers: .strangerOnPassivePort, "stranger on passive port closed") { connection, claim in
            // NNpsk0 message 1 is the proof; once it checks out and before
            // message 2 tells the client it is connected, no newer
            // connection may replace this one.
            try await authority.accept(
                connection, passiveNumber: passiveNumber, deadline: .now + handshakeTimeout, beforeAnswering: claim)
        }
    }

    /// Why a candidate was closed before it could prove itself.
    struct Replaced: Error, CustomStringConvertible {
        var description: String { "replaced by a newer connection (its share of unverified connections was full)" }
    }

    /// How a candidate proves itself: a channel on success, or a throw
    /// (the candidate is then closed and reported). Once its proof is in
    /// and before it answers the peer, it calls `claim`: from then on it
    /// can no longer be replaced; `claim` throws `Replaced` when it already
    /// was (its connection is closed).
    typealias Verification = @Sendable (_ connection: TCPConnection, _ claim: @escaping @Sendable () throws -> Void)
        async throws -> SecureChannel

    /// The first candidate that passes `verify` before `deadline`, or nil
    /// when none did (deadline, listener closed by someone else, or task
    /// cancelled). Strangers are recorded as `kind` with `event`.
    private func firstAuthentic(
        until deadline: Deadline, strangers kind: FailureLog.Kind, _ event: String, verify: @escaping Verification
    ) async -> SecureChannel? {
        let listener = self.listener
        let candidates = Candidates(share: share)
        let handshakeHost = self.handshakeHost
        let failures = self.failures
        let port = listener.localAddress.port
        let winner = await withTaskGroup(of: SecureChannel?.self) { group -> SecureChannel? in
            while true {
                let remaining = deadline - .now
                guard remaining > .zero else { break }
                let connection: TCPConnection
                do {
                    connection = try await listener.accept(deadline: .after(remaining))
                } catch {
                    break  // closed by a winner, expired, or cancelled
                }
                let own = connection.remoteAddress.host == handshakeHost
                let (id, displaced) = candidates.add(connection, own: own)
                if let displaced { await displaced.close() }
                group.addTask {
                    defer { candidates.remove(id, own: own) }
                    do {
                        let channel = try await verify(connection) {
                            guard candidates.claim(id, own: own) else { throw Replaced() }
                        }
                        // The first winner closes the listener, which ends
                        // the accept loop.
                        await listener.close()
                        return channel
                    } catch {
                        if !(error is CancellationError) {
                            let reason: any Error = candidates.wasReplaced(id) ? Replaced() : error
                            let source = connection.remoteAddress.host
                            failures.record(kind, from: source, RefusalKind.event, RefusalKind.dataPortStranger.fields(
                                source: source, detail: "\(event): \(reason)") + [
                                ("port", "\(port)"), ("from", connection.remoteAddress.description),
                            ])
                        }
                        await connection.close()
                        return nil
                    }
                }
            }
            group.cancelAll()
            var winner: SecureChannel?
            for await candidate in group {
                guard let candidate else { continue }
                if winner == nil {
                    winner = candidate
                } else {
                    await candidate.close()
                }
            }
            return winner
        }
        await listener.close()
        return winner
    }
}

/// The unverified candidates of one listener, oldest first in each share.
private final class Candidates: Sendable {
    private struct State {
        var own: [(id: Int, connection: TCPConnection)] = []
        var others: [(id: Int, connection: TCPConnection)] = []
        var replaced: Set<Int> = []
        var nextID = 0
    }

    private let share: Int
    private let state = Mutex(State())

    init(share: Int) {
        self.share = share
    }

    /// Adds a candidate; returns its id and, when its share was full, the
    /// oldest candidate of that share, which the caller closes.
    func add(_ connection: TCPConnection, own: Bool) -> (Int, TCPConnection?) {
        state.withLock { state in
            let id = state.nextID
            state.nextID += 1
            var list = own ? state.own : state.others
            list.append((id, connection))
            var displaced: TCPConnection?
            if list.count > share {
                let oldest = list.removeFirst()
                state.replaced.insert(oldest.id)
                displaced = oldest.connection
            }
            if own { state.own = list } else { state.others = list }
            return (id, displaced)
        }
    }

    /// Takes candidate `id` out of its share for good, so that no newer
    /// connection can replace it; false if one already has.
    func claim(_ id: Int, own: Bool) -> Bool {
        state.withLock { state in
            guard !state.replaced.contains(id) else { return false }
            if own { state.own.removeAll { $0.id == id } } else { state.others.removeAll { $0.id == id } }
            return true
        }
    }

    func remove(_ id: Int, own: Bool) {
        state.withLock { state in
            if own { state.own.removeAll { $0.id == id } } else { state.others.removeAll { $0.id == id } }
            state.replaced.remove(id)
        }
    }

    func wasReplaced(_ id: Int) -> Bool {
        state.withLock { $0.replaced.contains(id) }
    }
}
