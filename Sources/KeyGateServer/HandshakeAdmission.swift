import KeyGateSystem
import KeyGateChannel
import KeyGateKeys
import KeyGateNoise
import KeyGateSockets
import Synchronization

/// Admission to a handshake on the control port: owns the control
/// listener, accepts connections and keeps at most `maximumHandshakes`
/// handshakes in progress. It runs none of them: each admitted connection
/// gets a `HandshakeActor` (negotiation, Noise, allow-list, data port,
/// grant) in a task of its own, side by side, and the server reports its
/// end here.
///
/// A source address over one of its `SourceLimits` is closed as soon as
/// it is accepted, before anything is read or computed for it.
///
/// When the limit is reached, a new connection is closed at once, unless
/// the oldest handshake in progress has been going for longer than
/// `staleHandshakeAge`: that one is cut instead (a real handshake takes
/// milliseconds, so the oldest is a slow or silent peer). A flood of idle
/// connections therefore cannot keep legitimate clients out for a whole
/// handshake timeout, and memory and descriptors stay bounded either way.
actor HandshakeAdmission {
    private struct InProgress {
        let connection: TCPConnection
        let started: ContinuousClock.Instant
    }

    private let listener: TCPListener
    private let configuration: ServerConfiguration
    private let limiter: SourceLimiter
    private let log: Log
    private let metrics: ServerMetrics?
    private var active: [Int: InProgress] = [:]
    private var lastID = 0
    private var refusedSinceLastReport = 0
    private var evictedSinceLastReport = 0
    private var isStopped = false

    init(listener: TCPListener, configuration: ServerConfiguration, limiter: SourceLimiter, metrics: ServerMetrics?, log: Log) {
        self.metrics = metrics
        self.listener = listener
        self.configuration = configuration
        self.limiter = limiter
        self.log = log
    }

    /// The next admitted connection and its handshake id, or nil once the
    /// listener is stopped. Connections beyond the limits are closed here;
    /// an admitted one counts against its source until the server calls
    /// `SourceLimiter.handshakeEnded`.
    func nextConnection() async -> (id: Int, connection: TCPConnection)? {
        while !isStopped {
            let connection: TCPConnection
            do {
                connection = try await listener.accept()
            } catch let error as SystemError {
                if case .closed = error { return nil }
                // EMFILE and the like: the connection stays queued. Pause
                // briefly instead of spinning, and say why.
                log.error("accept failed", ["reason": error.description])
                try? await Task.sleep(for: .milliseconds(100))
                continue
            } catch {
                return nil  // cancelled
            }
            if limiter.admitHandshake(from: connection.remoteAddress.host) != nil {
                await connection.close()
                continue
            }
            if active.count >= configuration.maximumHandshakes {
                metrics?.limitHit("max_handshakes")
                guard await evictStaleHandshake() else {
                    refusedSinceLastReport += 1
                    if refusedSinceLastReport == 1 || refusedSinceLastReport % 1000 == 0 {
                        log.warning("handshake limit reached, connection closed", [
                            "peer": connection.remoteAddress.description, "limit": "\(configuration.maximumHandshakes)",
                            "closed_so_far": "\(refusedSinceLastReport)",
                        ])
                    }
                    limiter.handshakeEnded(from: connection.remoteAddress.host)
                    await connection.close()
                    continue
                }
            }
            if (refusedSinceLastReport > 0 || evictedSinceLastReport > 0) && active.count < configuration.maximumHandshakes / 2 {
                log.info("handshake limit no longer reached", [
                    "closed": "\(refusedSinceLastReport)", "cut_stale": "\(evictedSinceLastReport)",
                ])
                refusedSinceLastReport = 0
                evictedSinceLastReport = 0
            }
            lastID += 1
            active[lastID] = InProgress(connection: connection, started: .now)
            return (lastID, connection)
        }
        return nil
    }

    /// Cuts the oldest handshake if it is older than the stale age; returns
    /// whether a slot was freed.
    private func evictStaleHandshake() async -> Bool {
        guard let (id, oldest) = active.min(by: { $0.value.started < $1.value.started }),
              ContinuousClock.now - oldest.started >= configuration.staleHandshakeAge
        else { return false }
        active[id] = nil
        evictedSinceLastReport += 1
        if evictedSinceLastReport == 1 || evictedSinceLastReport % 1000 == 0 {
            log.warning("handshake limit reached, oldest idle handshake cut", [
                "peer": oldest.connection.remoteAddress.description, "limit": "\(configuration.maximumHandshakes)",
                "cut_so_far": "\(evictedSinceLastReport)",
            ])
        }
        await oldest.connection.close()
        return true
    }

    /// Marks handshake `id` as over (granted, denied or failed).
    func handshakeFinished(_ id: Int) {
        active[id] = nil
    }

    /// The number of handshakes in progress.
    var handshakesInProgress: Int { active.count }

    /// Stops accepting; the pending `nextConnection` returns nil.
    func stop() async {
        isStopped = true
        await listener.close()
    }
}
