import KeyGateKeys
import Synchronization

/// The server's count of sessions, in all and per client key, and the
/// numbering of sessions. A handshake reserves a place before it grants
/// (`reserve(for:)`); the place is given back (`release(of:)`) when the
/// grant fails or the session ends.
final class SessionLedger: Sendable {
    /// Why a session could not be reserved.
    enum Refusal: Error {
        /// The server runs `maximumSessions` already.
        case serverFull
        /// This key runs `sessionsPerKey` already.
        case keyFull
    }

    let maximumSessions: Int
    let sessionsPerKey: Int
    private let total = Atomic<Int>(0)
    private let byKey = Mutex<[String: Int]>([:])
    private let lastSessionID = Atomic<Int>(0)
    private let running = Mutex<[Int: RunningSession]>([:])

    private struct RunningSession {
        let key: PublicKey
        let end: @Sendable () -> Void
    }

    init(maximumSessions: Int, sessionsPerKey: Int) {
        self.maximumSessions = maximumSessions
        self.sessionsPerKey = sessionsPerKey
    }

    /// Sessions reserved and not yet released.
    var count: Int { total.load(ordering: .relaxed) }

    /// Counts a session for the server and for `key` (a fingerprint),
    /// unless either is at its limit.
    func reserve(for key: String) throws(Refusal) {
        guard total.add(1, ordering: .relaxed).newValue <= maximumSessions else {
            total.subtract(1, ordering: .relaxed)
            throw .serverFull
        }
        let limit = sessionsPerKey
        let reserved = byKey.withLock { sessions in
            guard sessions[key, default: 0] < limit else { return false }
            sessions[key, default: 0] += 1
            return true
        }
        guard reserved else {
            total.subtract(1, ordering: .relaxed)
            throw .keyFull
        }
    }

    /// Gives back a place taken by `reserve(for:)`.
    func release(of key: String) {
        total.subtract(1, ordering: .relaxed)
        byKey.withLock { sessions in
            let remaining = sessions[key, default: 1] - 1
            sessions[key] = remaining > 0 ? remaining : nil
        }
    }

    /// Records session `id` of `key` as running; `end` ends it.
    func started(_ id: Int, key: PublicKey, end: @escaping @Sendable () -> Void) {
        running.withLock { $0[id] = RunningSession(key: key, end: end) }
    }

    /// Forgets session `id`, which is over.
    func ended(_ id: Int) {
        _ = running.withLock { $0.removeValue(forKey: id) }
    }

    /// The distinct keys of the running sessions.
    var runningKeys: [PublicKey] {
        running.withLock { Array(Set($0.values.map(\.key))) }
    }

    /// Ends every running session of `key`; returns their ids.
    @discardableResult
    func end(sessionsOf key: PublicKey) -> [Int] {
        let ended = running.withLock { sessions in sessions.filter { $0.value.key == key } }
        for session in ended.values { session.end() }
        return ended.keys.sorted()
    }

    /// A new session number, 1 for the first.
    func nextSessionID() -> Int {
        lastSessionID.add(1, ordering: .relaxed).newValue
    }
}
