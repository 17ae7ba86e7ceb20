import KeyGateSystem
import KeyGateSockets
import Synchronization

/// Hands out listeners on free ports of the data range (PROTOCOL.md
/// sections 4 and 9): a random free port, or, when every port is taken,
/// retries for up to `patience` before giving up (the server then denies
/// with `busy`, `"retry":true`).
///
/// A port is in use exactly while its listener is bound, so the operating
/// system is the source of truth: no bookkeeping can drift from it, and
/// ports taken by other processes are skipped like our own. The same holds
/// for the share of one client key: it holds the listeners handed out for
/// it that are still open, and no more than `perKeyLimit` of them, so one
/// key cannot take the whole range from the others.
public final class DataPortAllocator: Sendable {
    public let range: ClosedRange<UInt16>
    public let patience: Duration
    /// Listeners open at once for one client key.
    public let perKeyLimit: Int
    /// Pause between attempts while the range (or the key's share) is full.
    static let retryInterval: Duration = .milliseconds(50)
    private let leases = Mutex<[String: [TCPListener]]>([:])

    public init(range: ClosedRange<UInt16>, patience: Duration, perKeyLimit: Int? = nil) {
        self.range = range
        self.patience = patience
        self.perKeyLimit = perKeyLimit ?? Self.defaultPerKeyLimit(for: range)
    }

    /// Half the range (at least one port): the default share of one key.
    public static func defaultPerKeyLimit(for range: ClosedRange<UInt16>) -> Int {
        max(1, range.count / 2)
    }

    /// Why no listener could be had.
    public enum Refusal: Error, CustomStringConvertible {
        /// The key holds its whole share of the range.
        case keyShareFull(key: String, limit: Int)

        public var description: String {
            switch self {
            case let .keyShareFull(key, limit): return "key \(key) holds \(limit) data ports, its share of the range"
            }
        }
    }

    /// A listener on a random free port of the range on `host`, counted
    /// against `key` (a client key's fingerprint) while it is open.
    /// - Throws: `SystemError.portRangeExhausted` when no port became free
    ///   within the patience, `Refusal.keyShareFull` when the key's share
    ///   stayed full, other bind errors at once; `CancellationError`.
    public func listener(on host: String, for key: String) async throws -> TCPListener {
        let deadline = Deadline.now + patience
        while true {
            let failure: any Error
            if openListeners(of: key) >= perKeyLimit {
                failure = Refusal.keyShareFull(key: key, limit: perKeyLimit)
            } else {
                do {
                    let listener = try TCPListener.bind(host: host, portRange: range, backlog: 64)
                    leases.withLock { $0[key, default: []].append(listener) }
                    return listener
                } catch {
                    // (A `catch` pattern on the case here crashes the 6.3 compiler.)
                    guard case .portRangeExhausted = error else { throw error }
                    failure = error
                }
            }
            guard Deadline.now + Self.retryInterval < deadline else { throw failure }
            try await Task.sleep(for: Self.retryInterval)
        }
    }

    /// The listeners handed out that are still open, all keys together.
    public var inUse: Int {
        leases.withLock { leases in leases.values.reduce(0) { $0 + $1.filter(\.isOpen).count } }
    }

    /// The listeners handed out for `key` that are still open; closed ones
    /// are forgotten.
    public func openListeners(of key: String) -> Int {
        leases.withLock { leases in
            let open = leases[key]?.filter(\.isOpen) ?? []
            leases[key] = open.isEmpty ? nil : open
            return open.count
        }
    }
}
