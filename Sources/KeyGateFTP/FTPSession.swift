import KeyGateSystem
import KeyGateChannel

/// One FTP conversation over a KeyGate session (PROTOCOL.md section 6).
///
/// The session is one task that owns all of its state and is the only
/// writer of replies. Everything that waits on a peer runs beside it as a
/// child task that ends with an `Event`: reading the next command, waiting
/// for a passive data connection, moving a transfer's bytes. So commands
/// keep being read during a transfer (ABOR, STAT, QUIT act at once; other
/// commands wait their turn, as RFC 959 expects), and a transfer never
/// sends on the control channel itself.
final class FTPSession {
    /// What a child task reports.
    enum Event: Sendable {
        /// A command line, nil when the client closed the connection.
        case received(Result<[UInt8]?, any Error>)
        /// The passive listener `number` has its data connection, or
        /// expired without one (nil).
        case dataConnection(number: UInt64, SecureChannel?)
        /// The transfer `id` has ended.
        case transferEnded(id: Int, TransferJob.Outcome)
    }

    let context: ServiceContext
    let store: FileStore
    let limits: FTPService.Limits
    let log: Log
    /// `--xferlog`: one line per file transfer, if given.
    let transferLog: TransferLog?

    /// The data phase of this session.
    typealias Phase = DataPhase<PassiveListener, SecureChannel, TransferJob>

    // Conversation state.
    var currentDirectory = FTPPath.root
    var renameSource: FTPPath?
    var restartOffset: Int64 = 0
    var binaryType = true
    /// Passive commands that opened a listener so far (the psk counter).
    var passiveCount: UInt64 = 0
    var lastTransferID = 0
    /// The listener, data connection and transfer, with the commands that
    /// wait for it.
    var phase = Phase.idle
    /// Whether a reader task is waiting for the next command.
    var reading = false
    /// Set by QUIT, a failed reply or a closed control connection.
    var finished = false
    /// The digests of files this session's transfers moved whole, for HASH.
    var digests = FileDigestCache()
    /// Set once the client has asked for a digest (HASH, or OPTS HASH
    /// choosing SHA-256): it verifies its transfers, so from then on the
    /// files they move whole are hashed as they move. A client that never
    /// verifies does not pay for hashing.
    var hashesTransfers = false

    init(context: ServiceContext, store: FileStore, limits: FTPService.Limits, transferLog: TransferLog? = nil) {
        self.context = context
        self.store = store
        self.limits = limits
        self.transferLog = transferLog
        log = context.log
    }

    /// Runs the conversation until the client quits or leaves, the
    /// session is idle too long, or the task is cancelled; leaves no data
    /// listener, connection or temporary file behind.
    func run() async {
        await reply(.serviceReady, "KeyGate FTP ready; logged in as \(context.peer.name) by key")
        await withTaskGroup(of: Event.self) { group in
            startReading(&group)
            while !finished, let event = await group.next() {
                switch event {
                case let .received(result):
                    reading = false
                    await received(result, group: &group)
                case let .dataConnection(number, channel):
                    await dataConnectionArrived(number: number, channel: channel, group: &group)
                case let .transferEnded(id, outcome):
                    await transferEnded(id: id, outcome: outcome, group: &group)
                }
                if !finished && !reading && phase.queuedCount < limits.maximumDeferredCommands {
                    startReading(&group)
                }
            }
            // Ending: stop the readers, listeners and movers; the loop
            // below waits for them (each ends promptly when cancelled).
            group.cancelAll()
            await closeDataSide()
            for await event in group {
                switch event {
                case let .dataConnection(_, channel):
                    await channel?.close()
                case let .transferEnded(id, outcome):
                    guard let ended = phase.transferEnded(id) else { continue }
                    logTransfer(ended.job, outcome: outcome, stopped: ended.stop != nil, ending: "session ended")
                case .received:
                    break
                }
            }
        }
        // A transfer still waiting for its data connection holds a file.
        if case let .waiting(unfinished) = phase {
            await unfinished.job.payload.release()
            let ending = FTPReply(.transferAborted, "session ended")
            logTransfer(unfinished.job, outcome: .failed(bytes: 0, reply: ending), stopped: false, ending: ending.text)
        }
        phase = .idle
    }

    /// Closes the listener or data connection, so that the child task
    /// waiting on it ends; the phase stays, for the transfer's record.
    private func closeDataSide() async {
        switch phase {
        case .idle: break
        case let .listening(listener): await listener.close()
        case let .connected(connection): await connection.close()
        case let .waiting(waiting): await waiting.listener.close()
        case let .moving(moving): await moving.connection.close()
        }
    }

    // MARK: Reading commands

    private func startReading(_ group: inout TaskGroup<Event>) {
        reading = true
        let channel = context.channel
        let timeout = limits.idleTimeout
        group.addTask {
            do {
                return .received(.success(try await channel.receive(deadline: .now + timeout)))
            } catch {
                return .received(.failure(error))
            }
        }
    }

    private func received(_ result: Result<[UInt8]?, any Error>, group: inout TaskGroup<Event>) async {
        let line: [UInt8]
        switch result {
        case let .success(received?):
            line = received
        case .success(nil):
            log.debug("ftp client closed the control connection")
            finished = true
            return
        case let .failure(error):
            if error is TimedOut {
                // Idle is measured between commands, not during transfers.
                if phase.job != nil { return }
                log.info("ftp session idle, closing", ["idle": "\(limits.idleTimeout)"])
                await reply(.serviceNotAvailable, "Idle for \(limits.idleTimeout); closing the connection")
            } else if !(error is CancellationError) {
                log.info("ftp control connection failed", ["reason": "\(error)"])
            }
            finished = true
            return
        }
        let command: FTPCommand
        do {
            command = try FTPCommand(parsing: line)
        } catch {
            await send(error.reply)
            return
        }
        log.debug("ftp command", ["command": command.description])
        let request = FTPRequest(command)
        if phase.job != nil {
            await receivedDuringTransfer(request, group: &group)
        } else {
            await execute(request, group: &group)
        }
    }

    /// RFC 959 section 4.1.3: ABOR, STAT and QUIT act during a transfer;
    /// anything else runs once it is over.
    private func receivedDuringTransfer(_ request: FTPRequest, group: inout TaskGroup<Event>) async {
        switch request {
        case .abort:
            await abortTransfer(.abort, group: &group)
        case .status(path: nil):
            await reply(.systemStatus, transferStatus)
        case .noop:
            await reply(.commandOkay, "NOOP ok")
        case .quit:
            await abortTransfer(.quit, group: &group)
        default:
            phase.queue(CollectionOfOne(request))
        }
    }

    /// Runs commands that waited for a transfer, until one starts another;
    /// the rest then wait for that one.
    func runQueued(_ queued: [FTPRequest], group: inout TaskGroup<Event>) async {
        var rest = queued[...]
        while !finished, let next = rest.popFirst() {
            await execute(next, group: &group)
            if phase.job != nil {
                phase.queue(rest)
                return
            }
        }
    }

    // MARK: Replies

    /// Sends one reply; a client that does not take it in time ends the
    /// session.
    func send(_ reply: FTPReply) async {
        guard !finished else { return }
        do {
            try await context.channel.send(reply.message, deadline: .now + limits.replyTimeout)
        } catch {
            if !(error is CancellationError) {
                log.info("ftp reply not delivered", ["reply": "\(reply.code)", "reason": "\(error)"])
            }
            finished = true
        }
    }

    func reply(_ code: FTPReplyCode, _ text: String) async {
        await send(FTPReply(code, text))
    }
}
