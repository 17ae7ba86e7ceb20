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
        case transferEnded(id: Int, Transfer.Outcome)
    }

    let context: ServiceContext
    let store: FileStore
    let limits: FTPService.Limits
    let log: Log

    // Conversation state.
    var currentDirectory = FTPPath.root
    var renameSource: FTPPath?
    var restartOffset: Int64 = 0
    var binaryType = true
    /// Passive commands that opened a listener so far (the psk counter).
    var passiveCount: UInt64 = 0
    var passive: PassiveListener?
    var transfer: Transfer?
    var lastTransferID = 0
    /// Commands that arrived during a transfer, run after it.
    var deferred: [FTPCommand] = []
    /// Whether a reader task is waiting for the next command.
    var reading = false
    /// Set by QUIT, a failed reply or a closed control connection.
    var finished = false
    var quitAfterTransfer = false

    init(context: ServiceContext, store: FileStore, limits: FTPService.Limits) {
        self.context = context
        self.store = store
        self.limits = limits
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
                if !finished && !reading && deferred.count < limits.maximumDeferredCommands {
                    startReading(&group)
                }
            }
            // Ending: stop the readers, listeners and movers; the loop
            // below waits for them (each ends promptly when cancelled).
            group.cancelAll()
            await transfer?.data?.close()
            await passive?.close()
            for await event in group {
                switch event {
                case let .dataConnection(_, channel):
                    await channel?.close()
                case let .transferEnded(id, outcome):
                    guard let ended = transfer, ended.id == id else { continue }
                    transfer = nil
                    logTransfer(ended, outcome: outcome, ending: "session ended")
                case .received:
                    break
                }
            }
        }
        // A transfer still waiting for its data connection holds a file.
        if let unfinished = transfer {
            transfer = nil
            await unfinished.payload.release()
            let ending = FTPReply(.transferAborted, "session ended")
            logTransfer(unfinished, outcome: .failed(bytes: 0, reply: ending), ending: ending.text)
        }
        passive = nil
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
                if transfer != nil { return }
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
        if transfer != nil {
            await receivedDuringTransfer(command, group: &group)
        } else {
            await execute(command, group: &group)
        }
    }

    /// RFC 959 section 4.1.3: ABOR, STAT and QUIT act during a transfer;
    /// anything else runs once it is over.
    private func receivedDuringTransfer(_ command: FTPCommand, group: inout TaskGroup<Event>) async {
        switch command.verb {
        case "ABOR":
            await abortTransfer(group: &group)
        case "STAT" where command.argument.isEmpty:
            await reply(.systemStatus, transferStatus)
        case "NOOP":
            await reply(.commandOkay, "NOOP ok")
        case "QUIT":
            quitAfterTransfer = true
            await abortTransfer(group: &group)
        default:
            deferred.append(command)
        }
    }

    /// Runs commands that waited for a transfer, until one starts another.
    func runDeferred(group: inout TaskGroup<Event>) async {
        while transfer == nil, !finished, !deferred.isEmpty {
            await execute(deferred.removeFirst(), group: &group)
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
