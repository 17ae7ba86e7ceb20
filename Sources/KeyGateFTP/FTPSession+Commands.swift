import KeyGateSystem
import Glibc
import KeyGateChannel

extension FTPSession {
    /// The commands of RFC 959 that this server knows but does not offer.
    static let unsupportedVerbs: Set<String> = [
        "ACCT", "SMNT", "REIN", "STOU", "SITE", "PORT", "EPRT", "LPRT", "LPSV", "AUTH", "ADAT", "PBSZ", "PROT",
        "CCC", "MIC", "CONF", "ENC", "LANG", "MFMT", "MFF", "HOST",
    ]

    /// The verbs HELP lists.
    static let supportedVerbs = [
        "ABOR", "ALLO", "APPE", "CDUP", "CWD", "DELE", "EPSV", "FEAT", "HELP", "LIST", "MDTM", "MKD", "MLSD", "MLST",
        "MODE", "NLST", "NOOP", "OPTS", "PASS", "PASV", "PWD", "QUIT", "REST", "RETR", "RMD", "RNFR", "RNTO", "SIZE",
        "STAT", "STOR", "STRU", "SYST", "TYPE", "USER", "XCUP", "XCWD", "XMKD", "XPWD", "XRMD",
    ]

    /// Runs one command when no transfer is in progress.
    func execute(_ command: FTPCommand, group: inout TaskGroup<Event>) async {
        // RFC 959: RNTO must follow RNFR at once. The REST marker waits
        // for the next transfer command (as in vsftpd: clients send EPSV,
        // TYPE or SIZE between the two) and any transfer uses it up.
        let source = renameSource
        renameSource = nil
        let argument = command.argument
        switch command.verb {
        case "USER", "PASS":
            await reply(.loggedIn, "Logged in as \(context.peer.name) (\(context.peer.fingerprint)); no password needed")
        case "SYST":
            await reply(.systemType, "UNIX Type: L8")
        case "FEAT":
            await send(FTPReply(.systemStatus, lines: [
                "Extensions supported:", " EPSV", " MDTM", " MLST type*;size*;modify*;perm*;", " PASV", " REST STREAM",
                " SIZE", " TVFS", " UTF8", "End",
            ]))
        case "OPTS":
            let option = argument.uppercased()
            if option == "UTF8 ON" || option == "UTF8" || option == "UTF-8 ON" {
                await reply(.commandOkay, "UTF8 is always on")
            } else {
                await reply(.argumentSyntaxError, "Option not understood; only UTF8 ON")
            }
        case "NOOP":
            await reply(.commandOkay, "NOOP ok")
        case "HELP":
            await send(FTPReply(.helpMessage, lines: ["The following commands are recognized:"]
                + stride(from: 0, to: Self.supportedVerbs.count, by: 8).map { start in
                    " " + Self.supportedVerbs[start..<min(start + 8, Self.supportedVerbs.count)].joined(separator: " ")
                } + ["Help OK"]))
        case "QUIT":
            await reply(.closingControlConnection, "Goodbye")
            finished = true
        case "PWD", "XPWD":
            await reply(.pathCreated, "\(Self.quoted(currentDirectory.description)) is the current directory")
        case "CWD", "XCWD":
            await changeDirectory(to: argument)
        case "CDUP", "XCUP":
            await changeDirectory(to: "..")
        case "MKD", "XMKD":
            await withPath(argument) { path throws(FTPError) in
                try await self.store.makeDirectory(path)
                return FTPReply(.pathCreated, "\(Self.quoted(path.description)) created")
            }
        case "RMD", "XRMD":
            await withPath(argument) { path throws(FTPError) in
                guard path != .root else { throw .permissionDenied("/") }
                try await self.store.removeDirectory(path)
                return FTPReply(.fileActionOkay, "Directory \(path) removed")
            }
        case "DELE":
            await withPath(argument) { path throws(FTPError) in
                try await self.store.removeFile(path)
                return FTPReply(.fileActionOkay, "\(path) deleted")
            }
        case "RNFR":
            await withPath(argument) { path throws(FTPError) in
                guard path != .root else { throw .permissionDenied("/") }
                _ = try await self.store.info(path)
                self.renameSource = path
                return FTPReply(.pendingFurtherInformation, "Ready for RNTO")
            }
        case "RNTO":
            guard let source else {
                await reply(.badSequence, "RNFR first")
                return
            }
            await withPath(argument) { path throws(FTPError) in
                guard path != .root else { throw .permissionDenied("/") }
                try await self.store.rename(source, to: path)
                return FTPReply(.fileActionOkay, "Renamed \(source) to \(path)")
            }
        case "SIZE":
            await withPath(argument) { path throws(FTPError) in
                let info = try await self.store.info(path)
                guard info.kind == .file else {
                    throw info.kind == .symbolicLink ? .symbolicLink(path.description) : .notARegularFile(path.description)
                }
                return FTPReply(.fileStatus, "\(info.size)")
            }
        case "MDTM":
            await withPath(argument) { path throws(FTPError) in
                let info = try await self.store.info(path)
                guard info.kind == .file else { throw .notARegularFile(path.description) }
                return FTPReply(.fileStatus, FileInfo.timestamp(info.modified))
            }
        case "MLST":
            await withPath(argument, emptyMeansCurrent: true) { path throws(FTPError) in
                let info = try await self.store.info(path)
                return FTPReply(.fileActionOkay, lines: [
                    "Listing \(path)", " " + info.factLine(name: path.description), "End",
                ])
            }
        case "STAT":
            if argument.isEmpty {
                await reply(.systemStatus, transferStatus)
            } else {
                await withPath(argument) { path throws(FTPError) in try await self.status(of: path) }
            }
        case "TYPE":
            switch argument.uppercased() {
            case "I", "L 8":
                binaryType = true
                await reply(.commandOkay, "Switching to binary mode")
            case "A", "A N":
                // As vsftpd by default: ASCII is accepted, bytes move unchanged.
                binaryType = false
                await reply(.commandOkay, "Switching to ASCII mode (bytes are sent unchanged)")
            default:
                await reply(.parameterNotImplemented, "Only TYPE I and TYPE A")
            }
        case "MODE":
            if argument.uppercased() == "S" {
                await reply(.commandOkay, "Mode set to S")
            } else {
                await reply(.parameterNotImplemented, "Only MODE S (stream)")
            }
        case "STRU":
            if argument.uppercased() == "F" {
                await reply(.commandOkay, "Structure set to F")
            } else {
                await reply(.parameterNotImplemented, "Only STRU F (file)")
            }
        case "ALLO":
            await reply(.superfluous, "ALLO is not needed")
        case "REST":
            guard let offset = Int64(argument), offset >= 0 else {
                await reply(.argumentSyntaxError, "REST needs a byte offset (a whole number)")
                return
            }
            restartOffset = offset
            await reply(.pendingFurtherInformation, "Restarting at \(offset); now send RETR or STOR")
        case "EPSV":
            await extendedPassive(argument, group: &group)
        case "PASV":
            await classicPassive(group: &group)
        case "ABOR":
            await abortTransfer(group: &group)
        case "RETR", "STOR", "APPE", "LIST", "NLST", "MLSD":
            let restart = restartOffset
            restartOffset = 0
            await beginTransfer(command, restart: restart, group: &group)
        case "PORT", "EPRT":
            await reply(.notImplemented, "Active mode is not offered; use EPSV or PASV")
        case let verb where Self.unsupportedVerbs.contains(verb):
            await reply(.notImplemented, "\(verb) not implemented")
        default:
            await reply(.syntaxError, "Unknown command")
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
        if let transfer {
            status += "; \(transfer.verb) \(transfer.path): \(transfer.progress.bytes) bytes so far"
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
