import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateFTP
import KeyGateSockets
import Synchronization

/// The commands of `keygate ftp`: `ls`, `cd`, `pwd`, `get`, `put`, `mkdir`,
/// `rmdir`, `rm`, `mv`, `size`, run one at a time over an `FTPClient`.
///
/// Scripted (a command on the command line, or lines on a standard input
/// that is not a terminal) it stops at the first failure; interactive it
/// prompts, reports failures and goes on. Local files are read and written
/// on a `BlockingLane`; downloads land atomically (a `AtomicFileWriter` in the
/// target folder, renamed when complete).
public final class FTPShell: Sendable {
    public struct Options: Sendable {
        /// Prompt, keep going after failures.
        public var interactive: Bool
        /// Draw a progress bar on standard error during transfers.
        public var showProgress: Bool
        /// `--resume` given on the command line: applies to get and put.
        public var resume: Bool
        /// Compare each file's SHA-256 with the server's (HASH) after its
        /// transfer; `--no-verify` turns it off.
        public var verify: Bool
        /// Print one JSON event per file on standard output (`TransferTally`).
        public var json: Bool
        /// How many times a transfer whose data connection broke is
        /// resumed (`--retries`).
        public var retries: Int
        /// Sessions that move the files of a multi-file command at once
        /// (`-P N`, `--parallel N`); more than one needs `openSession`.
        public var parallel: Int
        /// `--delete` given on the command line: each mirror then removes
        /// what its source does not hold, as `mirror --delete` does.
        public var deleteExtras: Bool

        public init(
            interactive: Bool = false, showProgress: Bool = false, resume: Bool = false, verify: Bool = true,
            json: Bool = false, retries: Int = 3, parallel: Int = 1, deleteExtras: Bool = false
        ) {
            self.retries = retries
            self.parallel = parallel
            self.deleteExtras = deleteExtras
            self.interactive = interactive
            self.showProgress = showProgress
            self.resume = resume
            self.verify = verify
            self.json = json
        }
    }

    /// A command line that cannot be run as written (exit 2 when scripted).
    struct UsageProblem: Error, CustomStringConvertible {
        let description: String
    }

    /// The commands, as `help` prints them.
    public static let helpText = """
        Commands:
          ls [PATH | PATTERN]            list a folder (the server's LIST lines),
                                         or the entries a pattern matches
          cd PATH                        change the remote folder
          pwd                            print the remote folder
          get [--resume] [--no-verify] REMOTE [LOCAL]
                                         download (LOCAL may be a folder)
          put [--resume] [--no-verify] LOCAL [REMOTE]
                                         upload
          get -r REMOTE [DIR]            download a folder's tree into DIR
                                         (default: its name)
          put -r DIR [REMOTE]            upload a folder's tree into REMOTE
                                         (default: its name)
          mirror REMOTE LOCAL            get -r, but only files whose size or time
                                         differ from the local copy's
          mirror -R LOCAL REMOTE         the same the other way (put -r)
          mirror --delete [-R] FROM TO   then also remove from TO what FROM
                                         does not hold (files, then folders)
          mget PATTERN...                download the files patterns match
          mput PATTERN...                upload the local files patterns match
          rm PATH | PATTERN...           remove files
          mkdir PATH | rmdir PATH
          mv FROM TO                     rename on the server
          size PATH                      print a file's size in bytes
          help | quit
        --resume continues from the bytes already there (REST): for get the
        local file's, for put the remote file's. After each transfer the
        file's SHA-256 is compared with the server's (HASH): a download
        that differs is not kept, and either way the command fails;
        --no-verify skips the check. A transfer whose data connection breaks
        is resumed (--retries, default 3). -P N (in a tree, mirror, mget or
        mput command) moves its files over N sessions at once.
        mirror --delete removes nothing if any file of the mirror failed.
        It removes regular files and folders only: a link or special file in
        the destination is kept and reported (never followed, never removed),
        and so is the folder that holds it.
        Patterns are glob(7): * ? [...] in the last name of a path (dir/*.txt),
        matched here against the server's MLSD listing; a leading dot must
        be matched by a dot. Trees keep files' modification times (MFMT);
        links are skipped and reported, never followed. A multi-file
        command goes on past a failed file, reports each, ends with a
        summary line, and fails (exit 1) if any file did.
        """

    let client: FTPClient
    let options: Options
    let io = BlockingExecutor.shared.lane()
    /// Set once the server has answered MFMT with 500 or 502.
    let mfmtMissing = Mutex(false)
    /// Opens one more session (greeting read) for parallel transfers.
    let openSession: (@Sendable () async throws -> FTPClient)?

    /// A shell on `client`; `openSession` opens the further sessions of
    /// `-P N`.
    public init(client: FTPClient, options: Options, openSession: (@Sendable () async throws -> FTPClient)? = nil) {
        self.client = client
        self.options = options
        self.openSession = openSession
    }

    /// Runs `words` as one command, or else the lines of standard input,
    /// then quits. Returns the exit status.
    public func run(words: [String]) async -> ExitStatus {
        var status = ExitStatus.success
        if !words.isEmpty {
            status = await runOne(words)
        } else {
            if options.interactive { prompt() }
            for await line in StandardInput.lines() {
                guard let words = Self.words(in: line) else {
                    status = report(UsageProblem(description: "unbalanced quotes in '\(line)'"))
                    if !options.interactive { break }
                    prompt()
                    continue
                }
                if words.first == "quit" || words.first == "exit" || words.first == "bye" { break }
                if !words.isEmpty {
                    status = await runOne(words)
                    if status != .success && !options.interactive { break }
                }
                if options.interactive { prompt() }
            }
        }
        await client.quit()
        return status
    }

    private func prompt() {
        Console.shared.outRaw("ftp> ")
    }

    private func runOne(_ words: [String]) async -> ExitStatus {
        do {
            try await execute(words)
            return .success
        } catch {
            return report(error)
        }
    }

    private func report(_ error: any Error) -> ExitStatus {
        switch error {
        case let problem as UsageProblem:
            Console.shared.err("keygate ftp: \(problem)")
            return .usage
        case let failure as FTPClient.Failure:
            Console.shared.err("keygate ftp: \(failure)")
            return .failure
        case let failure as FTPError:
            Console.shared.err("keygate ftp: \(failure)")
            return .failure
        case let failure as BatchFailure:
            Console.shared.err("keygate ftp: \(failure)")
            return .failure
        default:
            let clientError = ClientError.from(error, during: "ftp")
            Console.shared.err("keygate ftp: \(clientError)")
            return clientError.exitStatus
        }
    }

    /// Runs one command.
    func execute(_ words: [String]) async throws {
        var arguments = Array(words.dropFirst())
        let resume = options.resume || arguments.contains("--resume")
        let verify = options.verify && !arguments.contains("--no-verify")
        let recursive = ["get", "put"].contains(words[0]) && arguments.contains { $0 == "-r" || $0 == "-R" }
        let reverse = words[0] == "mirror" && arguments.contains("-R")
        let deleting = words[0] == "mirror" && (options.deleteExtras || arguments.contains("--delete"))
        if words[0] != "mirror" && arguments.contains("--delete") {
            throw UsageProblem(description: "\(words[0]): --delete is for mirror only")
        }
        var parallel = options.parallel
        if let flag = arguments.firstIndex(of: "-P") {
            guard flag + 1 < arguments.count, let count = Int(arguments[flag + 1]), (1...64).contains(count) else {
                throw UsageProblem(description: "-P takes a number of sessions from 1 to 64")
            }
            parallel = count
            arguments.removeSubrange(flag...(flag + 1))
        }
        let shell = parallel == options.parallel ? self : FTPShell(client: client, options: {
            var changed = options
            changed.parallel = parallel
            return changed
        }(), openSession: openSession)
        arguments.removeAll {
            $0 == "--resume" || $0 == "--no-verify" || (recursive && ($0 == "-r" || $0 == "-R")) || (reverse && $0 == "-R")
                || (words[0] == "mirror" && $0 == "--delete")
        }
        func expect(_ range: ClosedRange<Int>, _ usage: String) throws {
            guard range.contains(arguments.count) else { throw UsageProblem(description: "usage: \(usage)") }
        }
        switch words[0] {
        case "ls", "dir":
            try expect(0...1, "ls [PATH | PATTERN]")
            if let pattern = arguments.first, GlobPattern.hasWildcards(pattern) {
                try await listMatching(pattern)
                return
            }
            let text = try await client.listing(path: arguments.first ?? "")
            if !text.isEmpty {
                for line in FTPReply.lines(of: text) { Console.shared.out(line) }
            }
        case "cd":
            try expect(1...1, "cd PATH")
            try await client.require(FTPCommand(verb: "CWD", argument: arguments[0]), .fileActionOkay)
        case "pwd":
            try expect(0...0, "pwd")
            Console.shared.out(try await client.currentDirectory())
        case "mkdir":
            try expect(1...1, "mkdir PATH")
            try await client.require(FTPCommand(verb: "MKD", argument: arguments[0]), .pathCreated)
        case "rmdir":
            try expect(1...1, "rmdir PATH")
            try await client.require(FTPCommand(verb: "RMD", argument: arguments[0]), .fileActionOkay)
        case "rm", "delete":
            try expect(1...Int.max, "rm PATH | PATTERN...")
            try await remove(arguments)
        case "mv", "rename":
            try expect(2...2, "mv FROM TO")
            try await client.require(FTPCommand(verb: "RNFR", argument: arguments[0]), .pendingFurtherInformation)
            try await client.require(FTPCommand(verb: "RNTO", argument: arguments[1]), .fileActionOkay)
        case "size":
            try expect(1...1, "size PATH")
            Console.shared.out("\(try await client.size(of: arguments[0]))")
        case "get" where recursive:
            try expect(1...2, "get -r [--resume] [--no-verify] REMOTE [DIR]")
            try await shell.getTree(arguments[0], to: arguments.count > 1 ? arguments[1] : nil, resume: resume, verify: verify)
        case "put" where recursive:
            try expect(1...2, "put -r [--resume] [--no-verify] DIR [REMOTE]")
            try await shell.putTree(arguments[0], to: arguments.count > 1 ? arguments[1] : nil, resume: resume, verify: verify)
        case "mirror" where reverse:
            try expect(2...2, "mirror -R [--delete] [--no-verify] LOCAL REMOTE")
            try await shell.putTree(arguments[0], to: arguments[1], resume: false, verify: verify, mirroring: true,
                                    deleting: deleting)
        case "mirror":
            try expect(2...2, "mirror [--delete] [--no-verify] REMOTE LOCAL")
            try await shell.getTree(arguments[0], to: arguments[1], resume: false, verify: verify, mirroring: true,
                                    deleting: deleting)
        case "mget":
            try expect(1...Int.max, "mget [--resume] [--no-verify] PATTERN...")
            try await shell.multipleGet(arguments, resume: resume, verify: verify)
        case "mput":
            try expect(1...Int.max, "mput [--resume] [--no-verify] PATTERN...")
            try await shell.multiplePut(arguments, resume: resume, verify: verify)
        case "get":
            try expect(1...2, "get [--resume] REMOTE [LOCAL]")
            try await get(arguments[0], to: arguments.count > 1 ? arguments[1] : nil, resume: resume, verify: verify)
        case "put":
            try expect(1...2, "put [--resume] LOCAL [REMOTE]")
            try await put(arguments[0], to: arguments.count > 1 ? arguments[1] : nil, resume: resume, verify: verify)
        case "help", "?":
            Console.shared.out(Self.helpText)
        default:
            throw UsageProblem(description: "unknown command '\(words[0])'; try help")
        }
    }

    // MARK: Transfers

    /// Downloads `remote` into `local` (a file path, or an existing folder
    /// to save into under the remote name). With `verify`, the file takes
    /// its name only if its SHA-256 is the server's (HASH).
    /// - Throws: `FTPClient.Failure.checksumMismatch` when it is not:
    ///   nothing is kept, and a resumed file keeps its earlier bytes.
    /// `verify` nil: as `options.verify` says.
    public func get(_ remote: String, to local: String?, resume: Bool = false, verify: Bool? = nil) async throws {
        let remoteName = Self.lastName(of: remote)
        guard !remoteName.isEmpty else { throw UsageProblem(description: "get: '\(remote)' names no file") }
        var (folder, name) = Self.split(local ?? remoteName)
        if let local, await isDirectory(local) {
            (folder, name) = (local, remoteName)
        }
        let tally = TransferTally(command: "get", json: options.json)
        try await fetch(remote, folder: folder, name: name, resume: resume, verify: verify ?? options.verify, tally: tally,
                        showProgress: options.showProgress)
    }

    /// Uploads the local file `local` to `remote` (default: its name); with
    /// `verify`, then compares its SHA-256 with the server's (HASH).
    /// - Throws: `FTPClient.Failure.checksumMismatch` when they differ
    ///   (the server keeps what it stored).
    /// `verify` nil: as `options.verify` says.
    public func put(_ local: String, to remote: String?, resume: Bool = false, verify: Bool? = nil) async throws {
        let tally = TransferTally(command: "put", json: options.json)
        try await send(local, to: remote ?? Self.lastName(of: local), resume: resume, verify: verify ?? options.verify, tally: tally,
                       showProgress: options.showProgress)
    }

    /// One download into `folder`/`name`, recorded in `tally`; `size` when
    /// the listing gave it (else SIZE asks), `modified` to set afterwards.
    func fetch(
        _ remote: String, folder: String, name: String, resume: Bool, verify: Bool, tally: TransferTally,
        showProgress: Bool, size: Int64? = nil, modified: Int? = nil, on session: FTPClient? = nil
    ) async throws {
        let client = session ?? self.client
        let target = folder == "." ? name : folder + "/" + name
        let started = ContinuousClock.now
        var moved: Int64 = 0
        do {
            moved = try await download(
                remote, folder: folder, name: name, resume: resume, verify: verify, showProgress: showProgress, size: size,
                on: client)
            if let modified { try await LocalTree.setModificationTime(target, to: modified, io: io) }
        } catch {
            tally.file("get", remote: remote, local: target, bytes: moved, seconds: TransferTally.seconds(since: started),
                       verified: nil, error: error)
            throw error
        }
        tally.file("get", remote: remote, local: target, bytes: moved, seconds: TransferTally.seconds(since: started),
                   verified: verify ? true : nil, error: nil)
    }

    /// One upload, recorded in `tally`; `modified` is given to the server
    /// afterwards (MFMT).
    func send(
        _ local: String, to target: String, resume: Bool, verify: Bool, tally: TransferTally, showProgress: Bool,
        followingLinks: Bool = true, modified: Int? = nil, on session: FTPClient? = nil
    ) async throws {
        let client = session ?? self.client
        let started = ContinuousClock.now
        var moved: Int64 = 0
        do {
            moved = try await upload(
                local, to: target, resume: resume, verify: verify, showProgress: showProgress, followingLinks: followingLinks,
                on: client)
            if let modified { try await setRemoteModificationTime(target, to: modified, on: client) }
        } catch {
            tally.file("put", remote: target, local: local, bytes: moved, seconds: TransferTally.seconds(since: started),
                       verified: nil, error: error)
            throw error
        }
        tally.file("put", remote: target, local: local, bytes: moved, seconds: TransferTally.seconds(since: started),
                   verified: verify ? true : nil, error: nil)
    }

    /// Downloads `remote` to `folder`/`name`; returns the bytes moved.
    private func download(
        _ remote: String, folder: String, name: String, resume: Bool, verify: Bool, showProgress: Bool, size: Int64?,
        on client: FTPClient
    ) async throws -> Int64 {
        let total: Int64?
        if let size { total = size } else { total = try? await client.size(of: remote) }
        let upload = try await AtomicFileWriter.beginLocal(directory: folder, targetName: name, keepExisting: resume, io: io)
        var moved: Int64 = 0
        do {
            let offset = upload.byteCount
            if let total, offset > total {
                throw UsageProblem(description: "get --resume: the local file is larger (\(offset) bytes) than \(remote) (\(total))")
            }
            // The SHA-256 of the local file, computed as it is written: the
            // kept bytes are read once now, the rest is hashed on its way in.
            let digest = verify ? try? await upload.digestSoFar() : nil
            if verify { try await client.chooseSHA256() }
            if offset == 0 || offset != total {
                let mover = client.mover
                try await retrying("get \(remote)") {
                    // Each attempt goes on from the bytes already written.
                    let start = upload.byteCount
                    let progress = TransferProgress()
                    progress.add(Int(start))
                    defer { moved += progress.bytes - start }
                    try await withProgress(progress, total: total, label: Self.lastName(of: remote), showing: showProgress) {
                        try await client.transfer(
                            FTPCommand(verb: "RETR", argument: remote), restart: start > 0 ? start : nil
                        ) { data in
                            try await mover.receive(into: upload, over: data, progress: progress, digest: digest)
                        }
                    }
                    return upload.byteCount
                }
            }
            if verify {
                let target = folder == "." ? name : folder + "/" + name
                let localDigest = { @Sendable () async throws -> [UInt8] in
                    if let (bytes, byteCount) = digest?.finish(), byteCount == upload.byteCount { return bytes }
                    return try await upload.sha256().digest
                }
                try await check(localDigest, of: remote, command: "get", on: client, kept: resume
                    ? "Nothing was kept: \(target) still holds its earlier bytes."
                    : "Nothing was kept: \(target) was not written.")
            }
            try await upload.commit()
        } catch {
            await upload.discard()
            throw error
        }
        return moved
    }

    /// Uploads the local file `local` to `target`; returns the bytes moved.
    private func upload(
        _ local: String, to target: String, resume: Bool, verify: Bool, showProgress: Bool, followingLinks: Bool,
        on client: FTPClient
    ) async throws -> Int64 {
        let reader = try await FileReader.open(localPath: local, io: io, followingLinks: followingLinks)
        defer { reader.close() }
        var offset: Int64 = 0
        if resume, let existing = try? await client.size(of: target) {
            guard existing <= reader.size else {
                throw UsageProblem(description: "put --resume: \(target) on the server is larger than \(local)")
            }
            offset = existing
        }
        var moved: Int64 = 0
        // The SHA-256 of what is sent, computed as it is read: the bytes
        // before the offset once now, the rest on their way out.
        var digest = verify ? try? await reader.digest(ofFirst: offset) : nil
        if verify { try await client.chooseSHA256() }
        if offset < reader.size || offset == 0 {
            let mover = client.mover
            let start = offset
            let prefix = digest
            try await retrying("put \(target)") {
                // The server keeps nothing of a broken upload: each attempt
                // starts where the first did.
                digest = prefix?.copy()
                let progress = TransferProgress()
                progress.add(Int(start))
                defer { moved += progress.bytes - start }
                try await withProgress(progress, total: reader.size, label: Self.lastName(of: local), showing: showProgress) {
                    try await client.transfer(
                        FTPCommand(verb: "STOR", argument: target), restart: start > 0 ? start : nil
                    ) { data in
                        try await mover.send(reader, from: start, over: data, progress: progress, digest: digest)
                    }
                }
                return progress.bytes
            }
        }
        if verify {
            let sent = digest?.finish()
            let localDigest = { @Sendable () async throws -> [UInt8] in
                if let sent { return sent.digest }
                return try await reader.sha256().digest
            }
            try await check(localDigest, of: target, command: "put", on: client,
                            kept: "The server keeps what it stored; upload \(local) again without --resume.")
        }
        return moved
    }

    /// Runs `attempt` (a transfer; it returns how far it got) again while
    /// its data connection breaks, at most `options.retries` more times,
    /// saying so on standard error each time.
    private func retrying(_ what: String, _ attempt: () async throws -> Int64) async throws {
        var failures = 0
        while true {
            do {
                _ = try await attempt()
                return
            } catch where failures < options.retries && Self.isBrokenDataConnection(error) {
                failures += 1
                Console.shared.err("keygate ftp: \(what): the data connection broke (\(error)); "
                    + "resuming (retry \(failures) of \(options.retries))")
            }
        }
    }

    /// Whether `error` says that a transfer's data connection broke while
    /// the control connection still works: the server's 426 or 425, or the
    /// data connection's own failure.
    static func isBrokenDataConnection(_ error: any Error) -> Bool {
        switch error {
        case let FTPClient.Failure.refused(_, reply):
            return reply.code == .transferAborted || reply.code == .cannotOpenDataConnection
        case is ChannelError, is TimedOut, is SystemError:
            return true
        default:
            return false
        }
    }

    /// Compares the SHA-256 of the local copy (`localDigest`) with the
    /// server's SHA-256 of `remote`; a server without HASH gets a warning,
    /// not a failure. The local digest is usually the one computed during
    /// the transfer (`StreamingDigest`), and the server answers from its
    /// own when the file moved whole; where either must read its file
    /// after all, the two run at the same time, here on the file lane and
    /// there on the server's.
    /// - Throws: `FTPClient.Failure.checksumMismatch` when they differ.
    private func check(
        _ localDigest: @escaping @Sendable () async throws -> [UInt8], of remote: String, command: String,
        on client: FTPClient, kept: String
    ) async throws {
        async let local = localDigest()
        guard let server = try await client.sha256(of: remote) else {
            _ = try? await local
            Console.shared.err("keygate ftp: \(command) \(remote): the server does not offer HASH; not verified")
            return
        }
        let digest = try await local
        guard server.digest == digest else {
            throw FTPClient.Failure.checksumMismatch(
                command: command, path: remote, local: HexText.encode(digest), remote: HexText.encode(server.digest),
                kept: kept)
        }
    }

    /// Runs `transfer` with a progress bar beside it when enabled; a
    /// multi-file command's progress line counts it meanwhile.
    private func withProgress(
        _ progress: TransferProgress, total: Int64?, label: String, showing: Bool, _ transfer: () async throws -> Void
    ) async throws {
        let tally = TransferTally.current, flight = tally?.track(progress)
        defer { if let flight { tally?.untrack(flight) } }
        guard showing else { return try await transfer() }
        let bar = ProgressBar(label: label, total: total, progress: progress)
        var failure: (any Error)?
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await bar.draw() }
            do {
                try await transfer()
            } catch {
                failure = error
            }
            group.cancelAll()
        }
        // After the drawing task has ended, so no redraw follows.
        bar.finish(completed: failure == nil)
        if let failure { throw failure }
    }

    private func isDirectory(_ path: String) async -> Bool {
        await io.run {
            var status = stat()
            return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
        }
    }

    // MARK: Words and names

    /// The words of a command line: separated by spaces, with '...' and
    /// "..." quoting and backslash escapes; nil for an unbalanced quote.
    public static func words(in line: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if character == "\\" && quote != "'" {
                escaped = true
                inWord = true
            } else if let open = quote {
                if character == open { quote = nil } else { current.append(character) }
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character == " " || character == "\t" {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        guard quote == nil, !escaped else { return nil }
        if inWord { words.append(current) }
        return words
    }

    /// `a/b/c` → `c`.
    static func lastName(of path: String) -> String {
        String(path.split(separator: "/").last ?? "")
    }

    /// `a/b/c` → (`a/b`, `c`); `c` → (`.`, `c`); `/c` → (`/`, `c`).
    static func split(_ path: String) -> (folder: String, name: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let folder = String(path[..<slash])
        return (folder.isEmpty ? "/" : folder, String(path[path.index(after: slash)...]))
    }
}
