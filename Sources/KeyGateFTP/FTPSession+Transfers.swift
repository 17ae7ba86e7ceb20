import KeyGateSystem
import KeyGateChannel
import KeyGateSockets

extension FTPSession {
    // MARK: Passive listeners (PROTOCOL.md section 6)

    /// EPSV (RFC 2428): `229 Entering Extended Passive Mode (|||port|)`.
    func extendedPassive(_ argument: String, group: inout TaskGroup<Event>) async {
        let isIPv6 = context.localHost.contains(":")
        switch argument.uppercased() {
        case "":
            break
        case "ALL":
            await reply(.commandOkay, "EPSV ALL ok")
            return
        case "1" where !isIPv6, "2" where isIPv6:
            break
        case "1", "2":
            await reply(.networkProtocolNotSupported, "Network protocol not supported, use (\(isIPv6 ? 2 : 1))")
            return
        default:
            await reply(.argumentSyntaxError, "EPSV takes no argument, or 1, 2 or ALL")
            return
        }
        guard let port = await openPassive(group: &group) else { return }
        await send(.extendedPassive(port: port))
    }

    /// PASV (RFC 959): `227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)` with
    /// the control connection's local IPv4 address.
    func classicPassive(group: inout TaskGroup<Event>) async {
        let host = context.localHost
        guard FTPReply.passive(host: host, port: 0) != nil else {
            await reply(.notImplemented, "PASV needs an IPv4 address; use EPSV")
            return
        }
        guard let port = await openPassive(group: &group), let passive = FTPReply.passive(host: host, port: port) else { return }
        await send(passive)
    }

    /// Opens a listener for the next passive number, replacing any open
    /// one, and starts waiting for its data connection. Replies 425 and
    /// returns nil when no port is free.
    private func openPassive(group: inout TaskGroup<Event>) async -> UInt16? {
        await close(phase.giveUpPassive())
        guard let authority = context.dataConnections else {
            log.error("no passive port", ["reason": "the session's grant carried no data_key"])
            await reply(.cannotOpenDataConnection, "This session has no data connection key")
            return nil
        }
        let listener: TCPListener
        do {
            listener = try await context.dataPorts.listener(on: context.localHost, for: context.peer.fingerprint)
        } catch {
            log.warning("no passive port", ["reason": "\(error)"])
            await reply(.cannotOpenDataConnection, "No free data port; try again later")
            return nil
        }
        // Counted only once a listener is open (PROTOCOL.md section 6).
        passiveCount += 1
        let number = passiveCount
        phase.listen(on: PassiveListener(number: number, listener: listener))
        let expiry = Deadline.now + limits.passiveLifetime
        let handshakeTimeout = limits.dataHandshakeTimeout
        // Strangers are closed and logged, each must finish its handshake
        // within the timeout, and unverified connections are examined in
        // two shares, a newer one replacing the oldest.
        let dataListener = DataListener(
            listener: listener, handshakeHost: context.peer.host, share: limits.pendingDataConnectionsPerShare,
            failures: context.failures)
        group.addTask {
            .dataConnection(number: number, await dataListener.awaitDataConnection(
                passiveNumber: number, authority: authority, until: expiry, handshakeTimeout: handshakeTimeout))
        }
        return listener.localAddress.port
    }

    /// Closes a listener or data connection the phase gave up.
    func close(_ leftover: Phase.Leftover?) async {
        switch leftover {
        case nil: break
        case let .listener(listener): await listener.close()
        case let .connection(connection): await connection.close()
        }
    }

    /// The wait for passive listener `number` has ended.
    func dataConnectionArrived(number: UInt64, channel: SecureChannel?, group: inout TaskGroup<Event>) async {
        switch phase.connectionArrived(on: number, channel) {
        case .stale:
            // Replaced or aborted meanwhile.
            await channel?.close()
        case .kept, .expired:
            break
        case let .expiredWhileWaiting(waiting, queued):
            await waiting.payload.release()
            log.info("transfer", [
                "command": waiting.verb.rawValue, "path": waiting.path, "bytes": "0", "outcome": "no data connection",
            ])
            context.transferEnded("failed")
            await reply(.cannotOpenDataConnection, "No data connection within \(limits.passiveLifetime); transfer not started")
            await runQueued(queued, group: &group)
        case let .move(transfer, channel):
            startMoving(transfer, over: channel, group: &group)
        }
    }

    // MARK: Transfers

    /// RETR, STOR, APPE, LIST, NLST, MLSD: 425 at once without a passive
    /// listener (PROTOCOL.md section 9); otherwise the file is opened, 150
    /// sent, and the bytes move once the data connection is there.
    func beginTransfer(_ verb: FTPRequest.TransferVerb, path argument: String, group: inout TaskGroup<Event>) async {
        // RFC 959: REST applies to the next transfer command and no other.
        let restart = restartOffset
        restartOffset = 0
        guard phase.isOffered else {
            await reply(.cannotOpenDataConnection, "Use EPSV or PASV first")
            return
        }
        let prepared: (FTPPath, TransferJob.Payload, String, Int64?)
        do {
            prepared = try await prepare(verb, argument, restart: restart)
        } catch {
            log.debug("ftp transfer refused", [
                "command": "\(verb.rawValue) \(argument)", "reason": error.description,
            ])
            await send(error.reply)
            return
        }
        let (path, payload, announcement, byteLimit) = prepared
        lastTransferID += 1
        var transfer = TransferJob(id: lastTransferID, verb: verb, path: path.description, payload: payload)
        transfer.byteLimit = byteLimit
        switch phase.begin(transfer) {
        case .waits:
            await reply(.openingDataConnection, announcement)
        case let .moves(channel):
            await reply(.openingDataConnection, announcement)
            startMoving(transfer, over: channel, group: &group)
        case .notOffered:
            // Checked above, and nothing runs between.
            await payload.release()
            await reply(.cannotOpenDataConnection, "Use EPSV or PASV first")
        }
    }

    /// Opens what a transfer command moves, the text of its 150, and the
    /// size an upload may reach under the quota.
    private func prepare(
        _ verb: FTPRequest.TransferVerb, _ argument: String, restart: Int64
    ) async throws(FTPError) -> (FTPPath, TransferJob.Payload, String, Int64?) {
        let mode = binaryType ? "BINARY" : "ASCII"
        switch verb {
        case .retrieve:
            let path = try resolve(argument)
            let reader = try await store.openForReading(path)
            guard restart <= reader.size else {
                reader.close()
                throw .invalidRestartPosition(path: path.description, offset: restart, size: reader.size)
            }
            return (path, .download(reader, offset: restart),
                    "Opening \(mode) mode data connection for \(path) (\(reader.size - restart) bytes)", nil)
        case .store, .append:
            let path = try resolve(argument)
            let start: FileStore.UploadStart = verb == .append ? .append : restart > 0 ? .restart(at: restart) : .empty
            let byteLimit = try await uploadAllowance(path)
            let upload = try await store.beginUpload(path, start: start)
            let prefix = upload.prefixCopied
            if prefix.inKernel + prefix.throughUserSpace > 0 {
                log.debug("upload keeps the existing bytes", [
                    "path": path.description, "in_kernel": "\(prefix.inKernel)",
                    "through_user_space": "\(prefix.throughUserSpace)",
                ])
            }
            return (path, .upload(upload), "Ready to receive \(path) in \(mode) mode", byteLimit)
        case .list, .nameList, .machineList:
            let path = argument.isEmpty ? currentDirectory : try resolve(argument)
            let format: DirectoryListing.Format = switch verb {
            case .nameList: .names
            case .machineList: .facts
            default: .long(now: Self.now)
            }
            // Read and sent a batch at a time: a folder of any size is
            // listed with bounded memory.
            let listing = try await store.openListing(path)
            return (path, .listing(listing, format), "Here comes the listing of \(path)", nil)
        }
    }

    /// With a quota, the size an upload to `path` may reach: what the
    /// quota leaves once the file it replaces is freed. Refused at once
    /// (552) when that is nothing.
    private func uploadAllowance(_ path: FTPPath) async throws(FTPError) -> Int64? {
        guard let quota = limits.quota else { return nil }
        let used = try await store.usage()
        var replaced: Int64 = 0
        do {
            let info = try await store.info(path)
            if info.kind == .file { replaced = info.size }
        } catch {
            guard case .notFound = error else { throw error }
        }
        let allowance = quota - (used - replaced)
        guard allowance > 0 else { throw .quotaExceeded(path: path.description, quota: quota) }
        return allowance
    }

    private func resolve(_ argument: String) throws(FTPError) -> FTPPath {
        guard !argument.isEmpty else { throw .invalidName("(empty)") }
        return try currentDirectory.resolving(argument)
    }

    /// Starts the child task that moves `transfer`'s bytes over `channel`.
    private func startMoving(_ transfer: TransferJob, over channel: SecureChannel, group: inout TaskGroup<Event>) {
        let payload = transfer.payload
        let progress = transfer.progress
        let limits = self.limits
        let id = transfer.id
        let byteLimit = transfer.byteLimit
        let hashing = hashesTransfers
        group.addTask {
            let outcome = await FTPSession.move(
                payload, over: channel, progress: progress, limits: limits, byteLimit: byteLimit, hashing: hashing)
            return .transferEnded(id: id, outcome)
        }
    }

    /// ABOR or QUIT (RFC 959 section 4.1.3; PROTOCOL.md section 9): 426
    /// for the transfer then 226 (or 221), or 225 when there is none.
    func abortTransfer(_ stop: Phase.Stop, group: inout TaskGroup<Event>) async {
        switch phase.abort(stop) {
        case let .noTransfer(leftover):
            await close(leftover)
            await reply(.noTransferInProgress, "No transfer to abort")
        case let .unstarted(transfer, listener, queued):
            // Still waiting for the data connection: nothing moves yet.
            await listener.close()
            await transfer.payload.release()
            logTransfer(transfer, bytes: 0, outcome: "aborted")
            await reply(.transferAborted, "Transfer aborted; \(transfer.path) \(transfer.payload.isUpload ? "not stored" : "not sent")")
            await finishStop(stop, queued: queued, group: &group)
        case let .stopping(data):
            // The mover sees its connection closed and ends; its reply follows.
            await data.close()
        }
    }

    /// The replies after a stopped transfer's own: 226 for ABOR, or 221
    /// for QUIT.
    private func finishStop(_ stop: Phase.Stop, queued: [FTPRequest], group: inout TaskGroup<Event>) async {
        switch stop {
        case .quit:
            await reply(.closingControlConnection, "Goodbye")
            finished = true
        case .abort:
            await reply(.transferComplete, "ABOR successful")
            await runQueued(queued, group: &group)
        }
    }

    func transferEnded(id: Int, outcome: TransferJob.Outcome, group: inout TaskGroup<Event>) async {
        guard let ended = phase.transferEnded(id) else { return }
        let transfer = ended.job
        logTransfer(transfer, outcome: outcome, stopped: ended.stop != nil)
        switch outcome {
        case let .completed(bytes, movedFile):
            // Before the 226: the HASH a client verifies with comes after it.
            if let movedFile { digests.remember(movedFile.digest, for: movedFile.identity, now: movedFile.recordedAt) }
            await reply(.transferComplete, "Transfer complete: \(transfer.path), \(bytes) bytes")
        case let .failed(_, failure):
            if ended.stop != nil {
                await reply(.transferAborted, "Transfer aborted; \(transfer.path) \(transfer.payload.isUpload ? "not stored" : "incomplete")")
            } else {
                await send(failure)
            }
        }
        if let stop = ended.stop {
            await finishStop(stop, queued: ended.queued, group: &group)
        } else {
            await runQueued(ended.queued, group: &group)
        }
    }

    /// Logs how `ended` ended, `stopped` by ABOR or QUIT or not
    /// (`ending` overrides the reason of a failure).
    func logTransfer(_ ended: TransferJob, outcome: TransferJob.Outcome, stopped: Bool, ending: String? = nil) {
        switch outcome {
        case let .completed(bytes, _):
            logTransfer(ended, bytes: bytes, outcome: "complete")
            context.transferEnded("complete")
        case let .failed(bytes, failure):
            logTransfer(ended, bytes: bytes, outcome: stopped ? "aborted" : "failed: \(ending ?? failure.text)")
            context.transferEnded(stopped ? "aborted" : "failed")
        }
    }

    /// One info line per transfer: command, path, bytes, duration, MB/s, outcome.
    private func logTransfer(_ ended: TransferJob, bytes: Int64, outcome: String) {
        let elapsed = ContinuousClock.now - ended.started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(bytes) / seconds / 1e6 : 0
        log.info("transfer", [
            "command": ended.verb.rawValue, "path": ended.path, "bytes": "\(bytes)",
            "seconds": String(format3: seconds), "mb_per_s": String(format3: rate), "outcome": outcome,
        ])
        if let transferLog, !ended.verb.isListing {
            transferLog.append(TransferLog.Record(
                ended: Self.now, seconds: seconds, remoteHost: context.peer.host, byteCount: bytes, path: ended.path,
                binary: binaryType, incoming: ended.payload.isUpload, user: context.peer.name,
                complete: outcome == "complete"))
        }
    }

    // MARK: Moving bytes (child tasks)

    /// Moves a transfer's bytes over its data connection, then closes it.
    /// An upload is committed only after the authenticated end-of-data,
    /// and discarded on any failure. With `hashing`, a file moved whole
    /// from offset 0 is hashed on the way (`StreamingDigest`), for the
    /// HASH that follows.
    static func move(
        _ payload: TransferJob.Payload, over data: SecureChannel, progress: TransferProgress, limits: FTPService.Limits,
        byteLimit: Int64? = nil, hashing: Bool = false
    ) async -> TransferJob.Outcome {
        let mover = DataMover(
            pieceByteCount: limits.pieceByteCount, timeout: limits.dataTimeout, bytesPerSecond: limits.maximumRate)
        var outcome: TransferJob.Outcome
        var movedFile: TransferJob.MovedFile?
        do {
            switch payload {
            case let .download(reader, offset):
                defer { reader.close() }
                let digest = hashing && offset == 0 ? StreamingDigest() : nil
                try await mover.send(reader, from: offset, over: data, progress: progress, digest: digest)
                if let digest { movedFile = await sent(reader, digest: digest) }
            case let .listing(listing, format):
                do {
                    try await mover.send(listing, format: format, over: data, progress: progress)
                } catch {
                    await listing.close()
                    throw error
                }
                await listing.close()
            case let .upload(upload):
                // APPE and STOR after REST keep bytes that were not hashed.
                let digest = hashing && upload.byteCount == 0 ? StreamingDigest() : nil
                do {
                    try await mover.receive(
                        into: upload, over: data, progress: progress, byteLimit: byteLimit, digest: digest)
                    let identity = try await upload.commit()
                    if let digest, let identity { movedFile = stored(identity, digest: digest) }
                } catch {
                    await upload.discard()
                    throw error
                }
            }
            outcome = .completed(bytes: progress.bytes, movedFile: movedFile)
        } catch {
            outcome = .failed(bytes: progress.bytes, reply: dataFailure(error))
        }
        await data.close()
        return outcome
    }

    /// The file a RETR from offset 0 sent whole, if it is still what it was
    /// when it was opened (a file changed during the transfer was sent
    /// partly old, partly new).
    private static func sent(_ reader: FileReader, digest: StreamingDigest) async -> TransferJob.MovedFile? {
        guard let (bytes, byteCount) = digest.finish(), let now = await reader.currentIdentity(),
              now == reader.identity, byteCount == now.size
        else { return nil }
        return TransferJob.MovedFile(identity: now, digest: bytes, recordedAt: FileIdentity.coarseNow())
    }

    /// The file a STOR stored, if its digest covers all of it; `identity`
    /// is from the fstat after the file was put in place.
    private static func stored(_ identity: FileIdentity, digest: StreamingDigest) -> TransferJob.MovedFile? {
        guard let (bytes, byteCount) = digest.finish(), byteCount == identity.size else { return nil }
        return TransferJob.MovedFile(identity: identity, digest: bytes, recordedAt: FileIdentity.coarseNow())
    }

    /// The reply for a transfer that failed with `error`.
    static func dataFailure(_ error: any Error) -> FTPReply {
        switch error {
        case let error as FTPError:
            return error.reply
        case ChannelError.missingEndOfData:
            return FTPReply(.transferAborted, "Data connection closed before end-of-data; transfer incomplete, nothing kept")
        case let error as ChannelError:
            return FTPReply(.transferAborted, "Data connection failed (\(error)); transfer incomplete")
        default:
            return FTPReply(.transferAborted, "Data connection failed; transfer incomplete")
        }
    }
}

extension String {
    /// A number with three decimals (`12.345`), without Foundation.
    init(format3 value: Double) {
        let thousandths = Int((value * 1000).rounded())
        let fraction = thousandths % 1000
        self = "\(thousandths / 1000)." + (fraction < 10 ? "00" : fraction < 100 ? "0" : "") + "\(fraction)"
    }
}
