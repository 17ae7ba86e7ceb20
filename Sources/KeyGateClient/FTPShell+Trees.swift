import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import Synchronization

extension FTPShell {
    /// A remote file a batch downloads.
    struct FileToFetch: Sendable {
        let remote: String
        let folder: String
        let name: String
        let size: Int64?
        let modified: Int?

        init(remote: String, folder: String, entry: RemoteEntry) {
            self.init(remote: remote, folder: folder, name: entry.name, size: entry.size, modified: entry.modified)
        }

        init(remote: String, folder: String, name: String, size: Int64?, modified: Int? = nil) {
            self.remote = remote
            self.folder = folder
            self.name = name
            self.size = size
            self.modified = modified
        }
    }

    /// Some files of a multi-file command failed (each was reported as it
    /// failed); the rest were moved. Or some deletions of `mirror --delete`
    /// failed, each reported too.
    struct BatchFailure: Error, CustomStringConvertible {
        let command: String
        let failed: Int
        var failedDeletions = 0

        var description: String {
            let deletions = "\(failedDeletions) deletion\(failedDeletions == 1 ? "" : "s") failed"
            guard failed > 0 else { return "\(command): \(deletions) (see above); the files were transferred" }
            return "\(command): \(failed) file\(failed == 1 ? "" : "s") failed (see above); the others were transferred"
                + (failedDeletions > 0 ? "; \(deletions)" : "")
        }
    }

    /// Runs `body` for a multi-file command: the overall progress line on a
    /// terminal, then the summary. While the line is drawn `body` runs with
    /// `TransferTally.current` set, so that it counts the transfers under
    /// way.
    /// - Throws: `BatchFailure` when a file or a deletion failed, or what
    ///   ended the command early.
    func batch(_ command: String, deleting: Bool = false, _ body: (TransferTally) async throws -> Void) async throws {
        let tally = TransferTally(command: command, json: options.json, deleting: deleting)
        var failure: (any Error)?
        if options.showProgress && !options.json {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await tally.draw() }
                do {
                    try await TransferTally.$current.withValue(tally) { try await body(tally) }
                } catch {
                    failure = error
                }
                group.cancelAll()
            }
            tally.finishDrawing()
        } else {
            do {
                try await body(tally)
            } catch {
                failure = error
            }
        }
        tally.summarize()
        if let failure { throw failure }
        if tally.failures > 0 || tally.deletionFailures > 0 {
            throw BatchFailure(command: command, failed: tally.failures, failedDeletions: tally.deletionFailures)
        }
    }

    /// Runs one file of a batch: a failure of that file (refused, failed
    /// verification, a local file problem) is recorded and the batch goes
    /// on; anything else (the connection is gone) ends it.
    func eachFile(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as FTPClient.Failure {
            switch failure {
            case .refused, .checksumMismatch: reportFile(failure)
            case .protocolViolation, .closed: throw failure
            }
        } catch let failure as FTPError {
            reportFile(failure)
        } catch let problem as UsageProblem {
            reportFile(problem)
        }
    }

    /// Runs `body` for each item as one file of a batch (`eachFile`): in
    /// order on this session, or with `options.parallel` above 1 on that
    /// many sessions at once (this one and new ones, each in the same
    /// remote folder), each taking the next item as it is free.
    func forEachFile<Item: Sendable>(
        _ items: [Item], _ body: @escaping @Sendable (Item, FTPClient) async throws -> Void
    ) async throws {
        let workers = min(options.parallel, items.count)
        guard workers > 1, let openSession else {
            for item in items { try await eachFile { try await body(item, client) } }
            return
        }
        let folder = try await client.currentDirectory()
        var sessions = [client]
        do {
            for _ in 1..<workers {
                let session = try await openSession()
                sessions.append(session)
                try await session.require(FTPCommand(verb: "CWD", argument: folder), .fileActionOkay)
            }
            let cursor = BatchCursor()
            let all = sessions
            try await withThrowingTaskGroup(of: Void.self) { group in
                for session in all {
                    group.addTask {
                        while true {
                            let index = cursor.take()
                            guard index < items.count else { return }
                            try await self.eachFile { try await body(items[index], session) }
                        }
                    }
                }
                try await group.waitForAll()
            }
        } catch {
            for session in sessions.dropFirst() { await session.quit() }
            throw error
        }
        for session in sessions.dropFirst() { await session.quit() }
    }

    /// Says why one file of a batch failed (its JSON event says it with --json).
    private func reportFile(_ error: any Error) {
        if !options.json { Console.shared.err("keygate ftp: \(error)") }
    }

    // MARK: put -r and get -r

    /// `put -r DIR [REMOTE]`: the contents of the local folder DIR into
    /// the remote folder REMOTE (default: DIR's name), created as needed;
    /// files keep their modification times (MFMT), links and special files
    /// are skipped and reported.
    /// With `mirroring`, a file whose remote copy has its size and time is
    /// left alone (`mirror -R`); with `deleting` as well, what the local
    /// tree does not hold is then removed from the remote one
    /// (`mirror -R --delete`, `deleteExtras`).
    func putTree(
        _ local: String, to remote: String?, resume: Bool, verify: Bool, mirroring: Bool = false, deleting: Bool = false
    ) async throws {
        let top = remote ?? Self.lastName(of: local)
        let command = mirroring ? "mirror -R" : "put -r"
        guard !top.isEmpty else { throw UsageProblem(description: "\(command): '\(local)' names no folder; give REMOTE") }
        let tree = try await LocalTree.walk(local, io: io)
        try await batch(command, deleting: mirroring && deleting) { tally in
            for path in tree.skipped { tally.skip(local + "/" + path, reason: "a link or special file, not followed") }
            try await makeRemoteDirectory(top)
            let listing = mirroring ? try await remoteTree(under: top, tally: tally) : RemoteTree()
            let existing = listing.files
            let files = tree.entries.filter { entry in
                guard !entry.isDirectory else { return false }
                guard let there = existing[entry.relativePath], there.size == entry.size, there.modified == entry.modified
                else { return true }
                tally.unchanged()
                return false
            }
            tally.expect(files.map { Optional($0.size) })
            for entry in tree.entries where entry.isDirectory {
                try await makeRemoteDirectory(top + "/" + entry.relativePath)
            }
            try await forEachFile(files) { entry, session in
                try await self.send(local + "/" + entry.relativePath, to: top + "/" + entry.relativePath, resume: resume,
                                    verify: verify, tally: tally, showProgress: false, followingLinks: false,
                                    modified: entry.modified, on: session)
            }
            if mirroring && deleting {
                let plan = MirrorDeletions(
                    destination: listing.entries, source: Set(tree.entries.map(\.relativePath) + tree.skipped),
                    unlisted: listing.unlisted, unseen: Set(tree.skipped))
                try await deleteExtras(plan, under: top, remote: true, tally: tally)
            }
            // Folders last, deepest first: their contents no longer change them.
            for entry in tree.entries.reversed() where entry.isDirectory {
                try await eachFile { try await setRemoteModificationTime(top + "/" + entry.relativePath, to: entry.modified) }
            }
        }
    }

    /// `get -r REMOTE [DIR]`: the contents of the remote folder REMOTE
    /// into the local folder DIR (default: REMOTE's name), created as
    /// needed; files keep their modification times, links are skipped and
    /// reported, and names a listing should not hold are refused.
    /// With `mirroring`, a file whose local copy has its size and time is
    /// left alone (`mirror`); with `deleting` as well, what the remote tree
    /// does not hold is then removed from the local one (`mirror --delete`,
    /// `deleteExtras`).
    func getTree(
        _ remote: String, to local: String?, resume: Bool, verify: Bool, mirroring: Bool = false, deleting: Bool = false
    ) async throws {
        let top = local ?? Self.lastName(of: remote)
        let command = mirroring ? "mirror" : "get -r"
        guard !top.isEmpty else { throw UsageProblem(description: "\(command): '\(remote)' names no folder; give DIR") }
        guard try await isRemoteDirectory(remote) else {
            throw UsageProblem(description: "\(command): '\(remote)' is not a folder on the server; use get for a file")
        }
        try await batch(command, deleting: mirroring && deleting) { tally in
            try await LocalTree.makeDirectory(top, io: io)
            // The whole tree is listed first, so the progress line knows the total.
            var files: [(remote: String, folder: String, entry: RemoteEntry)] = []
            var folders: [(path: String, modified: Int?)] = []
            // Every entry's path from the top, of any kind: what --delete
            // keeps; and the paths whose contents the listing did not show
            // (links, special files, folders with refused lines).
            var listed = Set<String>(), unseen = Set<String>()
            var pending = [(remote: remote, local: top, relative: "")]
            while let folder = pending.popLast() {
                let (entries, refused) = try await remoteListing(folder.remote, tally: tally)
                if refused { unseen.insert(folder.relative) }
                for entry in entries {
                    let remotePath = Self.join(folder.remote, entry.name), localPath = folder.local + "/" + entry.name
                    let relative = folder.relative.isEmpty ? entry.name : folder.relative + "/" + entry.name
                    listed.insert(relative)
                    if entry.kind == .symbolicLink || entry.kind == .other { unseen.insert(relative) }
                    switch entry.kind {
                    case .file:
                        if mirroring, await LocalTree.hasSizeAndTime(localPath, size: entry.size, modified: entry.modified, io: io) {
                            tally.unchanged()
                            continue
                        }
                        files.append((remotePath, folder.local, entry))
                    case .directory:
                        try await LocalTree.makeDirectory(localPath, io: io)
                        folders.append((localPath, entry.modified))
                        pending.append((remotePath, localPath, relative))
                    case .symbolicLink:
                        tally.skip(remotePath, reason: "a link on the server, not followed")
                    case .other:
                        tally.skip(remotePath, reason: "not a file or folder")
                    }
                }
            }
            tally.expect(files.map(\.entry.size))
            try await forEachFile(files.map { FileToFetch(remote: $0.remote, folder: $0.folder, entry: $0.entry) }) { file, session in
                try await self.fetch(file.remote, folder: file.folder, name: file.name, resume: resume, verify: verify,
                                     tally: tally, showProgress: false, size: file.size, modified: file.modified,
                                     on: session)
            }
            if mirroring && deleting {
                // Walked after the transfers: what they wrote is in the source.
                let here = try await LocalTree.walk(top, io: io)
                let destination = here.entries.map {
                    MirrorDeletions.Entry(path: $0.relativePath, kind: $0.isDirectory ? .directory : .file)
                } + here.skipped.map { MirrorDeletions.Entry(path: $0, kind: .other) }
                try await deleteExtras(MirrorDeletions(destination: destination, source: listed, unseen: unseen),
                                       under: top, remote: false, tally: tally)
            }
            for folder in folders.reversed() {
                if let modified = folder.modified {
                    try await eachFile { try await LocalTree.setModificationTime(folder.path, to: modified, io: io) }
                }
            }
        }
    }

    /// A remote tree as MLSD listed it, for a mirror.
    struct RemoteTree {
        /// Every entry below the top, folders before their contents.
        var entries: [MirrorDeletions.Entry] = []
        /// The regular files by path, with size and time.
        var files: [String: (size: Int64?, modified: Int?)] = [:]
        /// The folders whose listing held names that were refused.
        var unlisted = Set<String>()
    }

    /// The remote tree `top`, paths relative to it; empty when `top`
    /// holds nothing. Links are not followed.
    func remoteTree(under top: String, tally: TransferTally) async throws -> RemoteTree {
        var tree = RemoteTree()
        var pending = [""]
        while let relative = pending.popLast() {
            let (entries, refused) = try await remoteListing(relative.isEmpty ? top : top + "/" + relative, tally: tally)
            if refused { tree.unlisted.insert(relative) }
            for entry in entries {
                let path = relative.isEmpty ? entry.name : relative + "/" + entry.name
                switch entry.kind {
                case .file:
                    tree.files[path] = (entry.size, entry.modified)
                    tree.entries.append(MirrorDeletions.Entry(path: path, kind: .file))
                case .directory:
                    tree.entries.append(MirrorDeletions.Entry(path: path, kind: .directory))
                    pending.append(path)
                case .symbolicLink, .other:
                    tree.entries.append(MirrorDeletions.Entry(path: path, kind: .other))
                }
            }
        }
        return tree
    }

    /// `mirror --delete`, after the transfers: removes what `plan` says
    /// from the destination `top` (on the server with `remote`, by DELE
    /// and RMD on this session; else through `LocalTree.remove`), files
    /// first, then folders deepest first, each reported in `tally`, and
    /// reports what it keeps. When a file of the mirror failed nothing is
    /// removed: the destination may lack what the source holds, and
    /// removing more then loses data.
    func deleteExtras(_ plan: MirrorDeletions, under top: String, remote: Bool, tally: TransferTally) async throws {
        let failed = tally.failures
        guard failed == 0 else {
            Console.shared.err("keygate ftp: \(tally.command): \(failed) file\(failed == 1 ? "" : "s") failed, so nothing was deleted")
            return
        }
        for kept in plan.kept { tally.skip(Self.join(top, kept.path), reason: kept.reason) }
        for path in plan.files { try await deleteOne(path, under: top, isDirectory: false, remote: remote, tally: tally) }
        for path in plan.folders { try await deleteOne(path, under: top, isDirectory: true, remote: remote, tally: tally) }
    }

    /// Removes one entry for `deleteExtras`: a refusal is recorded, a
    /// broken connection ends the command.
    private func deleteOne(_ path: String, under top: String, isDirectory: Bool, remote: Bool, tally: TransferTally) async throws {
        let full = Self.join(top, path)
        guard remote else {
            do {
                try await LocalTree.remove(path, in: top, isDirectory: isDirectory, io: io)
                tally.deleted(full, error: nil)
            } catch {
                tally.deleted(full, error: error)
            }
            return
        }
        do {
            try await client.require(FTPCommand(verb: isDirectory ? "RMD" : "DELE", argument: full), .fileActionOkay)
            tally.deleted(full, error: nil)
        } catch let failure as FTPClient.Failure {
            guard case .refused = failure else { throw failure }
            tally.deleted(full, error: failure)
        }
    }

    // MARK: Patterns

    /// `mget PATTERN...`: every remote file a pattern matches, into the
    /// current local folder; a pattern without wildcards is a name.
    func multipleGet(_ patterns: [String], resume: Bool, verify: Bool) async throws {
        try await batch("mget") { tally in
            var matched: [(remote: String, name: String, size: Int64?)] = []
            for pattern in patterns {
                guard GlobPattern.hasWildcards(pattern) else {
                    matched.append((pattern, Self.lastName(of: pattern), nil))
                    continue
                }
                let files = try await remoteMatches(pattern, tally: tally).filter { $0.entry.kind == .file }
                if files.isEmpty { tally.nothingMatched(pattern) }
                matched += files.map { ($0.path, $0.entry.name, $0.entry.size) }
            }
            tally.expect(matched.map(\.size))
            try await forEachFile(matched.map { FileToFetch(remote: $0.remote, folder: ".", name: $0.name, size: $0.size) }) { file, session in
                guard !file.name.isEmpty else { throw UsageProblem(description: "mget: '\(file.remote)' names no file") }
                try await self.fetch(file.remote, folder: ".", name: file.name, resume: resume, verify: verify, tally: tally,
                                     showProgress: false, size: file.size, on: session)
            }
        }
    }

    /// `mput PATTERN...`: every local file a pattern matches (glob(3)),
    /// into the current remote folder under its name.
    func multiplePut(_ patterns: [String], resume: Bool, verify: Bool) async throws {
        try await batch("mput") { tally in
            var matched: [String] = []
            for pattern in patterns {
                let paths = GlobPattern.hasWildcards(pattern) ? await LocalTree.glob(pattern, io: io) : [pattern]
                if paths.isEmpty { tally.nothingMatched(pattern) }
                matched += paths
            }
            tally.expect(await LocalTree.sizes(of: matched, io: io))
            try await forEachFile(matched) { path, session in
                try await self.send(path, to: Self.lastName(of: path), resume: resume, verify: verify, tally: tally,
                                    showProgress: false, on: session)
            }
        }
    }

    /// `rm PATH...`: each file named, or matched by a pattern (files only).
    func remove(_ arguments: [String]) async throws {
        var paths: [String] = []
        for argument in arguments {
            guard GlobPattern.hasWildcards(argument) else {
                paths.append(argument)
                continue
            }
            let files = try await remoteMatches(argument, tally: nil).filter { $0.entry.kind == .file }
            guard !files.isEmpty else { throw UsageProblem(description: "rm: no file matches '\(argument)'") }
            paths += files.map(\.path)
        }
        for path in paths {
            try await client.require(FTPCommand(verb: "DELE", argument: path), .fileActionOkay)
        }
    }

    /// `ls PATTERN`: the LIST lines of the entries whose names match, the
    /// names matched against the folder's MLSD listing.
    func listMatching(_ argument: String) async throws {
        let matched = Set(try await remoteMatches(argument, tally: nil).map(\.entry.name))
        guard !matched.isEmpty else { throw UsageProblem(description: "ls: nothing matches '\(argument)'") }
        let text = try await client.listing(path: GlobPattern.split(argument).folder ?? "")
        for line in FTPReply.lines(of: text) {
            guard let name = Self.nameInListLine(line), matched.contains(name) else { continue }
            Console.shared.out(line)
        }
    }

    /// The name at the end of an `ls -l` line (the server's LIST format:
    /// eight fields, one space, then the name, which may hold spaces).
    static func nameInListLine(_ line: String) -> String? {
        var rest = Substring(line)
        for _ in 0..<8 {
            rest = rest.drop { $0 == " " }
            guard !rest.isEmpty else { return nil }
            rest = rest.drop { $0 != " " }
        }
        guard rest.first == " " else { return nil }
        let name = rest.dropFirst()
        return name.isEmpty ? nil : String(name)
    }

    // MARK: Remote helpers

    /// The entries of the remote folder `path` (MLSD); lines that do not
    /// name a plain entry are skipped and reported.
    func remoteEntries(_ path: String, tally: TransferTally?) async throws -> [RemoteEntry] {
        try await remoteListing(path, tally: tally).entries
    }

    /// `remoteEntries`, and whether a line was refused.
    func remoteListing(_ path: String, tally: TransferTally?) async throws -> (entries: [RemoteEntry], refused: Bool) {
        let (entries, refused) = RemoteEntry.parseListing(try await client.listing("MLSD", path: path))
        for line in refused {
            let shown = String(String.UnicodeScalarView(line.unicodeScalars.prefix(120).map {
                $0.value < 0x20 || $0.value == 0x7f ? "?" : $0
            }))
            if let tally {
                tally.skip(shown, reason: "not a plain name in the listing of \(path)")
            } else {
                Console.shared.err("keygate ftp: skipped '\(shown)': not a plain name in the listing of \(path)")
            }
        }
        return (entries.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }, !refused.isEmpty)
    }

    /// The entries a `folder/pattern` matches, with their paths.
    func remoteMatches(_ argument: String, tally: TransferTally?) async throws -> [(path: String, entry: RemoteEntry)] {
        let (folder, pattern) = GlobPattern.split(argument)
        let glob = GlobPattern(pattern)
        return try await remoteEntries(folder ?? "", tally: tally).filter { glob.matches($0.name) }.map { entry in
            (folder.map { Self.join($0, entry.name) } ?? entry.name, entry)
        }
    }

    /// Creates the remote folder `path`; one already there is fine.
    func makeRemoteDirectory(_ path: String) async throws {
        let reply = try await client.request(FTPCommand(verb: "MKD", argument: path))
        guard reply.code != .pathCreated else { return }
        guard try await isRemoteDirectory(path) else { throw FTPClient.Failure.refused(command: "MKD \(path)", reply: reply) }
    }

    /// Whether `path` is a folder on the server (MLST).
    func isRemoteDirectory(_ path: String) async throws -> Bool {
        let facts = try await client.request(FTPCommand(verb: "MLST", argument: path))
        return facts.code == .fileActionOkay && facts.lines.count > 1 && facts.lines[1].lowercased().contains("type=dir;")
    }

    /// MFMT; a server without it gets one warning per session.
    func setRemoteModificationTime(_ path: String, to seconds: Int, on session: FTPClient? = nil) async throws {
        guard !mfmtMissing.withLock({ $0 }) else { return }
        let command = FTPCommand(verb: "MFMT", argument: "\(FileInfo.timestamp(seconds)) \(path)")
        let reply = try await (session ?? client).request(command)
        if reply.code == .syntaxError || reply.code == .notImplemented {
            let first = mfmtMissing.withLock { missing in
                defer { missing = true }
                return !missing
            }
            if first { Console.shared.err("keygate ftp: the server does not offer MFMT; modification times are not kept") }
            return
        }
        guard reply.code == .fileStatus else { throw FTPClient.Failure.refused(command: command.description, reply: reply) }
    }

    /// `folder/name`, without doubling a `/`.
    static func join(_ folder: String, _ name: String) -> String {
        folder.isEmpty ? name : folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }
}

/// The next item of a batch for whichever session is free.
private final class BatchCursor: Sendable {
    private let next = Atomic<Int>(0)

    /// The index of the next item (counting on past the end).
    func take() -> Int {
        next.add(1, ordering: .relaxed).oldValue
    }
}
