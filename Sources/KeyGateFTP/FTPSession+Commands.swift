import KeyGateSystem
import Glibc
import KeyGateChannel

extension FTPSession {
    /// Runs one request when no transfer is in progress.
    func execute(_ request: FTPRequest, group: inout TaskGroup<Event>) async {
        // RFC 959: RNTO must follow RNFR at once. The REST marker waits
        // for the next transfer command (as in vsftpd: clients send EPSV,
        // TYPE or SIZE between the two) and any transfer uses it up.
        let source = renameSource
        renameSource = nil
        if request.writes && context.peer.fileAccess.readOnly {
            await reply(.fileUnavailable, "Permission denied: this key may only read (ftp=\"read-only\" in the allow-list)")
            return
        }
        switch request {
        case .login:
            await reply(.loggedIn, "Logged in as \(context.peer.name) (\(context.peer.fingerprint)); no password needed")
        case .system:
            await reply(.systemType, "UNIX Type: L8")
        case .features:
            await send(FTPVerb.featuresReply)
        case let .options(option):
            await setOption(option)
        case .noop:
            await reply(.commandOkay, "NOOP ok")
        case .help:
            await send(FTPVerb.helpReply)
        case .quit:
            await reply(.closingControlConnection, "Goodbye")
            finished = true
        case .printDirectory:
            await reply(.pathCreated, "\(Self.quoted(currentDirectory.description)) is the current directory")
        case let .changeDirectory(argument):
            await changeDirectory(to: argument)
        case let .makeDirectory(argument):
            await makeDirectory(argument)
        case let .removeDirectory(argument):
            await removeDirectory(argument)
        case let .delete(argument):
            await delete(argument)
        case let .renameFrom(argument):
            await renameFrom(argument)
        case let .renameTo(argument):
            await rename(from: source, to: argument)
        case let .size(argument):
            await size(of: argument)
        case let .modificationTime(argument):
            await modificationTime(of: argument)
        case let .hash(argument):
            await hash(of: argument)
        case let .setModificationTime(seconds, argument):
            await setModificationTime(of: argument, to: seconds)
        case let .facts(argument):
            await facts(of: argument)
        case .status(path: nil):
            await reply(.systemStatus, transferStatus)
        case let .status(path?):
            await withPath(path) { path throws(FTPError) in try await self.status(of: path) }
        case let .type(type):
            await setType(type)
        case let .mode(isStream):
            await accept(isStream, "Mode set to S", otherwise: "Only MODE S (stream)")
        case let .structure(isFile):
            await accept(isFile, "Structure set to F", otherwise: "Only STRU F (file)")
        case .allocate:
            await reply(.superfluous, "ALLO is not needed")
        case let .restart(offset):
            await setRestart(offset)
        case let .extendedPassive(argument):
            await extendedPassive(argument, group: &group)
        case .passive:
            await classicPassive(group: &group)
        case .abort:
            await abortTransfer(.abort, group: &group)
        case let .transfer(verb, path):
            await beginTransfer(verb, path: path, group: &group)
        case .activeMode:
            await reply(.notImplemented, "Active mode is not offered; use EPSV or PASV")
        case let .notImplemented(verb):
            await reply(.notImplemented, "\(verb.name) not implemented")
        case .unknown:
            await reply(.syntaxError, "Unknown command")
        }
    }

    // MARK: Settings

    private func setOption(_ option: FTPOption?) async {
        switch option {
        case .utf8:
            await reply(.commandOkay, "UTF8 is always on")
        // draft-bryan-ftpext-hash section 3.3: 200 with the algorithm
        // selected, 504 for one not offered.
        case .hash(nil):
            hashesTransfers = true
            await reply(.commandOkay, FileHashAlgorithm.sha256.name)
        case let .hash(name?):
            if let algorithm = FileHashAlgorithm(named: name) {
                hashesTransfers = true
                await reply(.commandOkay, algorithm.name)
            } else {
                let offered = FileHashAlgorithm.allCases.map(\.name).joined(separator: ", ")
                await reply(.parameterNotImplemented, "Unknown or unsupported hash algorithm; offered: \(offered)")
            }
        case nil:
            await reply(.argumentSyntaxError, "Option not understood; only UTF8 ON and HASH")
        }
    }

    private func setType(_ type: FTPRequest.DataType?) async {
        switch type {
        case .binary:
            binaryType = true
            await reply(.commandOkay, "Switching to binary mode")
        case .ascii:
            // As vsftpd by default: ASCII is accepted, bytes move unchanged.
            binaryType = false
            await reply(.commandOkay, "Switching to ASCII mode (bytes are sent unchanged)")
        case nil:
            await reply(.parameterNotImplemented, "Only TYPE I and TYPE A")
        }
    }

    /// MODE and STRU: 200 `text` for the one value offered, else 504.
    private func accept(_ offered: Bool, _ text: String, otherwise refusal: String) async {
        await reply(offered ? .commandOkay : .parameterNotImplemented, offered ? text : refusal)
    }

    private func setRestart(_ offset: Int64?) async {
        guard let offset else {
            await reply(.argumentSyntaxError, "REST needs a byte offset (a whole number)")
            return
        }
        restartOffset = offset
        await reply(.pendingFurtherInformation, "Restarting at \(offset); now send RETR or STOR")
    }

    // MARK: Files and folders

    private func makeDirectory(_ argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            try await self.store.makeDirectory(path)
            return FTPReply(.pathCreated, "\(Self.quoted(path.description)) created")
        }
    }

    private func removeDirectory(_ argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            guard path != .root else { throw .permissionDenied("/") }
            try await self.store.removeDirectory(path)
            return FTPReply(.fileActionOkay, "Directory \(path) removed")
        }
    }

    private func delete(_ argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            try await self.store.removeFile(path)
            return FTPReply(.fileActionOkay, "\(path) deleted")
        }
    }

    private func renameFrom(_ argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            guard path != .root else { throw .permissionDenied("/") }
            _ = try await self.store.info(path)
            self.renameSource = path
            return FTPReply(.pendingFurtherInformation, "Ready for RNTO")
        }
    }

    private func rename(from source: FTPPath?, to argument: String) async {
        guard let source else {
            await reply(.badSequence, "RNFR first")
            return
        }
        await withPath(argument) { path throws(FTPError) in
            guard path != .root else { throw .permissionDenied("/") }
            try await self.store.rename(source, to: path)
            return FTPReply(.fileActionOkay, "Renamed \(source) to \(path)")
        }
    }

    private func size(of argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            let info = try await self.store.info(path)
            guard info.kind == .file else {
                throw info.kind == .symbolicLink ? .symbolicLink(path.description) : .notARegularFile(path.description)
            }
            return FTPReply(.fileStatus, "\(info.size)")
        }
    }

    private func modificationTime(of argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            let info = try await self.store.info(path)
            guard info.kind == .file else { throw .notARegularFile(path.description) }
            return FTPReply(.fileStatus, FileInfo.timestamp(info.modified))
        }
    }

    /// MFMT (draft-somers-ftp-mfxx section 3): `213 Modify=YYYYMMDDHHMMSS; path`.
    private func setModificationTime(of argument: String, to seconds: Int?) async {
        guard let seconds else {
            await reply(.argumentSyntaxError, "MFMT needs a time YYYYMMDDHHMMSS (UTC) and a path")
            return
        }
        await withPath(argument) { path throws(FTPError) in
            guard path != .root else { throw .permissionDenied("/") }
            try await self.store.setModificationTime(path, to: seconds)
            return FTPReply(.fileStatus, "Modify=\(FileInfo.timestamp(seconds)); \(path)")
        }
    }

    /// HASH (draft-bryan-ftpext-hash section 3.2): `213 SHA-256 0-SIZE HEX
    /// path`, the digest of the whole file: the one a transfer of this
    /// session computed when the file is still exactly as that transfer
    /// left it (`FileDigestCache`), else read on the session's lane. Later
    /// transfers are hashed as they move (`hashesTransfers`).
    private func hash(of argument: String) async {
        hashesTransfers = true
        await withPath(argument) { path throws(FTPError) in
            let reader = try await self.store.openForReading(path)
            defer { reader.close() }
            let digest: [UInt8], byteCount: Int64
            if let kept = self.digests.take(for: reader.identity) {
                (digest, byteCount) = (kept, reader.identity.size)
                self.log.debug("ftp hash from the transfer", ["path": path.description])
            } else {
                (digest, byteCount) = try await reader.sha256()
            }
            return FTPReply(.fileStatus, "\(FileHashAlgorithm.sha256.name) 0-\(byteCount) \(HexText.encode(digest)) \(path)")
        }
    }

    private func facts(of argument: String) async {
        await withPath(argument, emptyMeansCurrent: true) { path throws(FTPError) in
            let info = try await self.store.info(path)
            return FTPReply(.fileActionOkay, lines: [
                "Listing \(path)", " " + info.factLine(name: path.description), "End",
            ])
        }
    }

    /// Resolves `argument` against the current folder and runs `action`
    /// with it; an error becomes its reply (550, 553, ...).
    func withPath(
        _ argument: String, emptyMeansCurrent: Bool = false, _ action: (FTPPath) async throws(FTPError) -> FTPReply
    ) async {
        guard !argument.isEmpty || emptyMeansCurrent else {
            await reply(.argumentSyntaxError, "A path is needed")
            return
        }
        do {
            let path = try currentDirectory.resolving(argument)
            await send(try await action(path))
        } catch {
            log.debug("ftp request refused", ["argument": FTPPath.shown(argument), "reason": error.description])
            await send(error.reply)
        }
    }

    private func changeDirectory(to argument: String) async {
        await withPath(argument) { path throws(FTPError) in
            try await self.store.checkDirectory(path)
            self.currentDirectory = path
            return FTPReply(.fileActionOkay, "Directory changed to \(path)")
        }
    }

    /// STAT with a path (RFC 959): its listing over the control connection,
    /// in one 213 reply, which is one transport message of at most 65519
    /// bytes (PROTOCOL.md sections 1 and 6). A folder whose listing would
    /// not fit gets 450 instead, read no further than the first batch past
    /// the limit.
    func status(of path: FTPPath) async throws(FTPError) -> FTPReply {
        let first = "Status of \(path):", last = "End of status"
        let listing = try await store.openListing(path)
        let now = Self.now
        // `213-first` CRLF, each line and its CRLF, `213 last`.
        var byteCount = 4 + FTPReply.printable(first).utf8.count + 2 + 4 + last.utf8.count
        var entries: [(name: String, line: String)] = []
        var tooLarge = false
        do throws(FTPError) {
            while !tooLarge {
                let batch = try await listing.next()
                if batch.isEmpty { break }
                for entry in batch {
                    let line = " " + entry.listLine(now: now)
                    byteCount += FTPReply.printable(line).utf8.count + 2
                    entries.append((entry.name, line))
                }
                tooLarge = byteCount > KeyGateWire.maximumPlaintextByteCount
            }
        } catch {
            await listing.close()
            throw error
        }
        await listing.close()
        let refusal = FTPReply(
            .fileActionNotTaken,
            "\(path): folder too large for STAT; use LIST (a reply holds at most \(KeyGateWire.maximumPlaintextByteCount) bytes)")
        guard !tooLarge else { return refusal }
        // Every entry is in hand: sorted, as small folders always list.
        entries.sort { $0.name < $1.name }
        let reply = FTPReply(.fileStatus, lines: [first] + entries.map(\.line) + [last])
        return reply.message.count <= KeyGateWire.maximumPlaintextByteCount ? reply : refusal
    }

    /// The STAT text: who, where, and the transfer in progress.
    var transferStatus: String {
        var status = "KeyGate FTP: \(context.peer.name) in \(currentDirectory), TYPE \(binaryType ? "I" : "A")"
        if let transfer = phase.job {
            status += "; \(transfer.verb.rawValue) \(transfer.path): \(transfer.progress.bytes) bytes so far"
        } else {
            status += "; no transfer in progress"
        }
        return status
    }

    /// RFC 959 section 7 (PWD, MKD): the path in quotes, quotes in it doubled.
    static func quoted(_ path: String) -> String {
        "\"" + path.replacing("\"", with: "\"\"") + "\""
    }

    /// Seconds since 1970, for listing dates.
    static var now: Int { Int(time(nil)) }
}
