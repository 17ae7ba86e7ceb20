/// The data side of one FTP session (PROTOCOL.md sections 6 and 9) as one
/// value: at most one passive listener or unused data connection, at most
/// one transfer, and the commands that wait for that transfer.
///
/// The transitions do no I/O: each says what the session must close,
/// release or start. The phase is generic over the listener, the data
/// connection and the transfer so that it can be tested without sockets or
/// files; the session uses `FTPSession.Phase`.
enum DataPhase<Listener: Identifiable, Connection, Job: Identifiable> {
    /// No listener and no transfer.
    case idle
    /// EPSV or PASV opened a listener; no data connection yet.
    case listening(Listener)
    /// The data connection proved itself before a transfer command came;
    /// the acceptor closed the listener as it won.
    case connected(Connection)
    /// A transfer command was answered 150 and waits for its data connection.
    case waiting(Waiting)
    /// A transfer's bytes move over its data connection.
    case moving(Moving)

    /// A transfer waiting for the data connection of its listener.
    struct Waiting {
        let job: Job
        let listener: Listener
        /// Commands that came meanwhile, run once the transfer is over.
        var queued: [FTPRequest] = []
    }

    /// A transfer whose bytes move.
    struct Moving {
        let job: Job
        let connection: Connection
        /// Set by ABOR or QUIT: the connection was closed under the mover.
        var stop: Stop?
        /// Commands that came meanwhile, run once the transfer is over.
        var queued: [FTPRequest]
    }

    /// Why a transfer is stopped early, and so what follows its 426.
    /// Ordered: a QUIT after an ABOR still ends the session.
    enum Stop: Comparable {
        /// ABOR: 226, then the queued commands.
        case abort
        /// QUIT: 221, and the session ends.
        case quit
    }

    /// A listener or unused data connection given up, for the session to close.
    enum Leftover {
        case listener(Listener)
        case connection(Connection)
    }

    /// The transfer in progress, waiting or moving.
    var job: Job? {
        switch self {
        case .idle, .listening, .connected: nil
        case let .waiting(waiting): waiting.job
        case let .moving(moving): moving.job
        }
    }

    /// Whether EPSV or PASV came first, so that a transfer command can begin.
    var isOffered: Bool {
        switch self {
        case .listening, .connected: true
        case .idle, .waiting, .moving: false
        }
    }

    /// How many commands wait for the transfer.
    var queuedCount: Int {
        switch self {
        case .idle, .listening, .connected: 0
        case let .waiting(waiting): waiting.queued.count
        case let .moving(moving): moving.queued.count
        }
    }
}

// MARK: Passive listeners

extension DataPhase {
    /// Gives up the listener or unused connection (a new EPSV or PASV, or
    /// ABOR without a transfer). A transfer is left as it is: those
    /// commands wait for it to end.
    mutating func giveUpPassive() -> Leftover? {
        switch self {
        case .idle, .waiting, .moving:
            return nil
        case let .listening(listener):
            self = .idle
            return .listener(listener)
        case let .connected(connection):
            self = .idle
            return .connection(connection)
        }
    }

    /// A new listener waits for its data connection. Only once the
    /// previous one was given up.
    mutating func listen(on listener: Listener) {
        assert(job == nil && !isOffered, "a passive command runs only between transfers, after giveUpPassive")
        self = .listening(listener)
    }

    /// What the wait of listener `id` ended with.
    enum Arrival {
        /// The listener was replaced or closed meanwhile: close what came.
        case stale
        /// Kept for the next transfer command.
        case kept
        /// No connection came, and no transfer waited for one.
        case expired
        /// No connection came for the waiting transfer: release its job,
        /// reply 425, then run the queued commands.
        case expiredWhileWaiting(Job, queued: [FTPRequest])
        /// The waiting transfer has its connection: start moving.
        case move(Job, Connection)
    }

    /// The wait of listener `id` ended with `connection`, or nil when
    /// none proved itself in time.
    mutating func connectionArrived(on id: Listener.ID, _ connection: Connection?) -> Arrival {
        switch self {
        case let .listening(listener) where listener.id == id:
            guard let connection else {
                self = .idle
                return .expired
            }
            self = .connected(connection)
            return .kept
        case let .waiting(waiting) where waiting.listener.id == id:
            guard let connection else {
                self = .idle
                return .expiredWhileWaiting(waiting.job, queued: waiting.queued)
            }
            self = .moving(Moving(job: waiting.job, connection: connection, queued: waiting.queued))
            return .move(waiting.job, connection)
        case .idle, .listening, .connected, .waiting, .moving:
            return .stale
        }
    }
}

// MARK: Transfers

extension DataPhase {
    /// How a transfer command goes on after its 150.
    enum Start {
        /// It waits for the data connection.
        case waits
        /// The connection is there: start moving over it.
        case moves(Connection)
        /// No EPSV or PASV came first: the job was not taken (425).
        case notOffered
    }

    /// A transfer command has opened `job` and sends 150.
    mutating func begin(_ job: Job) -> Start {
        switch self {
        case let .listening(listener):
            self = .waiting(Waiting(job: job, listener: listener))
            return .waits
        case let .connected(connection):
            // One data connection per passive command.
            self = .moving(Moving(job: job, connection: connection, queued: []))
            return .moves(connection)
        case .idle, .waiting, .moving:
            return .notOffered
        }
    }

    /// Keeps `requests` for after the transfer; false when there is none.
    @discardableResult
    mutating func queue(_ requests: some Sequence<FTPRequest>) -> Bool {
        switch self {
        case .idle, .listening, .connected:
            return false
        case var .waiting(waiting):
            waiting.queued.append(contentsOf: requests)
            self = .waiting(waiting)
        case var .moving(moving):
            moving.queued.append(contentsOf: requests)
            self = .moving(moving)
        }
        return true
    }

    /// What ABOR or QUIT found.
    enum Abort {
        /// No transfer: what to close (225 follows).
        case noTransfer(Leftover?)
        /// A transfer that never moved: close its listener, release its
        /// job, reply 426, then as `stop` says.
        case unstarted(Job, Listener, queued: [FTPRequest])
        /// A moving transfer: close its connection; its end replies.
        case stopping(Connection)
    }

    /// ABOR or QUIT (RFC 959 section 4.1.3).
    mutating func abort(_ stop: Stop) -> Abort {
        switch self {
        case .idle, .listening, .connected:
            return .noTransfer(giveUpPassive())
        case let .waiting(waiting):
            self = .idle
            return .unstarted(waiting.job, waiting.listener, queued: waiting.queued)
        case var .moving(moving):
            moving.stop = max(moving.stop ?? stop, stop)
            self = .moving(moving)
            return .stopping(moving.connection)
        }
    }

    /// The mover of transfer `id` has ended: the transfer as it ended, or
    /// nil when it is not the one in progress.
    mutating func transferEnded(_ id: Job.ID) -> Moving? {
        guard case let .moving(moving) = self, moving.job.id == id else { return nil }
        self = .idle
        return moving
    }
}

// Equal when their parts are: for tests.
extension DataPhase: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Waiting: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Moving: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Leftover: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Arrival: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Start: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
extension DataPhase.Abort: Equatable where Listener: Equatable, Connection: Equatable, Job: Equatable {}
