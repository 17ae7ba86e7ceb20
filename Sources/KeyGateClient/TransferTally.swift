import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import Synchronization

/// What the file transfers of one command did: with `--json`, one event
/// per file on standard output (and one per skipped entry); for a
/// multi-file command, a summary at the end (the last JSON event, or a
/// line on standard error) and, on a terminal, an overall progress line
/// (files done of the total, bytes of the total, rate, time left;
/// `progressLine(command:done:total:bytes:totalBytes:seconds:)`).
///
/// Events, one JSON object a line:
///
///     {"event":"file","command":"get","remote":"/a.txt","local":"a.txt","bytes":12,"seconds":0.004,"verified":true,"ok":true}
///     {"event":"file","command":"put",...,"ok":false,"error":"..."}
///     {"event":"skipped","path":"dir/link","reason":"a link or special file, not followed"}
///     {"event":"unmatched","pattern":"*.pdf","ok":false}
///     {"event":"deleted","path":"copy/old.txt","ok":true}
///     {"event":"summary","command":"put -r","files":1000,"failed":0,"skipped":1,"unchanged":0,"deleted":0,"bytes":123456,"seconds":2.5}
///
/// `deleted` events come from `mirror --delete`, whose summary also has
/// `deletionsFailed`.
final class TransferTally: Sendable {
    private struct State {
        var done = 0
        var failed = 0
        var skipped = 0
        var unchanged = 0
        var deleted = 0
        var deletionsFailed = 0
        var bytes: Int64 = 0
        var total = 0
        /// The bytes of the expected files; nil once one's size is unknown.
        var totalBytes: Int64? = 0
        /// The transfers under way (`track`), each with its bytes when it
        /// was tracked.
        var inFlight: [Int: (progress: TransferProgress, base: Int64)] = [:]
        var nextFlight = 0
    }

    /// The tally of the multi-file command this task runs for (set by
    /// `FTPShell.batch`): each transfer's progress is counted in its
    /// progress line while under way.
    @TaskLocal static var current: TransferTally?

    let command: String
    let json: Bool
    /// The command removes what its source does not hold (`mirror --delete`):
    /// the summary says how much.
    let deleting: Bool
    private let state = Mutex(State())
    private let started = ContinuousClock.now

    init(command: String, json: Bool, deleting: Bool = false) {
        self.command = command
        self.json = json
        self.deleting = deleting
    }

    /// The files the command will move, by size (nil when unknown), for
    /// the progress line.
    func expect(_ sizes: [Int64?]) {
        state.withLock { state in
            state.total += sizes.count
            for size in sizes {
                state.totalBytes = state.totalBytes.flatMap { total in size.map { total + $0 } }
            }
        }
    }

    /// Counts the bytes `progress` moves in the progress line until
    /// `untrack` with the number returned.
    func track(_ progress: TransferProgress) -> Int {
        state.withLock { state in
            defer { state.nextFlight += 1 }
            state.inFlight[state.nextFlight] = (progress, progress.bytes)
            return state.nextFlight
        }
    }

    /// Stops counting a transfer's progress: the file's own record
    /// (`file`) counts its bytes.
    func untrack(_ flight: Int) {
        _ = state.withLock { $0.inFlight.removeValue(forKey: flight) }
    }

    /// How many files failed.
    var failures: Int { state.withLock { $0.failed } }

    /// How many deletions failed.
    var deletionFailures: Int { state.withLock { $0.deletionsFailed } }

    /// Records one file's transfer: `error` nil when it succeeded;
    /// `verified` nil when no check was made.
    func file(
        _ command: String, remote: String, local: String, bytes: Int64, seconds: Double, verified: Bool?,
        error: (any Error)?
    ) {
        state.withLock { state in
            state.done += 1
            state.bytes += bytes
            if error != nil { state.failed += 1 }
        }
        guard json else { return }
        var members: [(String, JSONValue)] = [
            ("event", .string("file")), ("command", .string(command)), ("remote", .string(remote)),
            ("local", .string(local)), ("bytes", .integer(Int(bytes))), ("seconds", .double(Self.rounded(seconds))),
        ]
        if let verified { members.append(("verified", .bool(verified))) }
        members.append(("ok", .bool(error == nil)))
        if let error { members.append(("error", .string("\(error)"))) }
        Console.shared.out(JSONValue.object(members).description)
    }

    /// Records an entry left out (a link, a special file, a name a listing
    /// should not hold), and says so.
    func skip(_ path: String, reason: String) {
        state.withLock { $0.skipped += 1 }
        if json {
            Console.shared.out(JSONValue.object([
                ("event", .string("skipped")), ("path", .string(path)), ("reason", .string(reason)),
            ]).description)
        } else {
            Console.shared.err("keygate ftp: \(command): skipped \(path): \(reason)")
        }
    }

    /// Records a file a mirror left alone: the same size and time on both sides.
    func unchanged() {
        state.withLock { $0.unchanged += 1 }
    }

    /// Records the removal of `path` from a mirror's destination: `error`
    /// nil when it was removed.
    func deleted(_ path: String, error: (any Error)?) {
        state.withLock { state in
            if error == nil { state.deleted += 1 } else { state.deletionsFailed += 1 }
        }
        if json {
            var members: [(String, JSONValue)] = [("event", .string("deleted")), ("path", .string(path)), ("ok", .bool(error == nil))]
            if let error { members.append(("error", .string("\(error)"))) }
            Console.shared.out(JSONValue.object(members).description)
        } else if let error {
            Console.shared.err("keygate ftp: \(command): could not delete \(path): \(error)")
        } else {
            Console.shared.err("keygate ftp: \(command): deleted \(path)")
        }
    }

    /// Records a pattern that matched nothing: a failure.
    func nothingMatched(_ pattern: String) {
        state.withLock { $0.failed += 1 }
        if json {
            Console.shared.out(JSONValue.object([
                ("event", .string("unmatched")), ("pattern", .string(pattern)), ("ok", .bool(false)),
            ]).description)
        } else {
            Console.shared.err("keygate ftp: \(command): no file matches '\(pattern)'")
        }
    }

    /// The summary: a JSON event, or a line on standard error.
    func summarize() {
        let state = self.state.withLock { $0 }
        let seconds = Self.seconds(since: started)
        if json {
            var members: [(String, JSONValue)] = [
                ("event", .string("summary")), ("command", .string(command)), ("files", .integer(state.done)),
                ("failed", .integer(state.failed)), ("skipped", .integer(state.skipped)),
                ("unchanged", .integer(state.unchanged)), ("deleted", .integer(state.deleted)),
            ]
            if deleting { members.append(("deletionsFailed", .integer(state.deletionsFailed))) }
            members += [("bytes", .integer(Int(state.bytes))), ("seconds", .double(Self.rounded(seconds)))]
            Console.shared.out(JSONValue.object(members).description)
        } else {
            let rate = seconds > 0 ? Int64(Double(state.bytes) / seconds) : 0
            let unchanged = state.unchanged > 0 ? ", \(state.unchanged) unchanged" : ""
            let deleted = !deleting ? ""
                : ", \(state.deleted) deleted" + (state.deletionsFailed > 0 ? ", \(state.deletionsFailed) not deleted" : "")
            Console.shared.err("\(command): \(state.done) files (\(state.failed) failed, \(state.skipped) skipped\(unchanged)\(deleted)), "
                + "\(ProgressBar.megabytes(state.bytes)) in \(Self.rounded(seconds)) s, \(ProgressBar.megabytes(rate))/s")
        }
    }

    /// The overall progress line now: the bytes of the files done and of
    /// the transfers under way (`track`).
    func progressLine() -> String {
        let state = self.state.withLock { $0 }
        let moving = state.inFlight.values.reduce(Int64(0)) { $0 + max(0, $1.progress.bytes - $1.base) }
        return Self.progressLine(
            command: command, done: state.done, total: state.total, bytes: state.bytes + moving,
            totalBytes: state.totalBytes, seconds: Self.seconds(since: started))
    }

    /// The overall progress line of a command that has moved `bytes` of
    /// `totalBytes` (nil: unknown) in `seconds`, with `done` of `total`
    /// files:
    ///
    ///     put -r  12/1000 files  3.4 MB / 10.2 MB  1.2 MB/s  ETA 0:06
    ///
    /// The time left is the bytes left at the rate so far (`ETA --:--`
    /// until something has moved); without a total there is no `/ total`
    /// and no ETA. Bytes a resumed transfer found already there are not
    /// moved, so with `--resume` the ETA errs long.
    static func progressLine(
        command: String, done: Int, total: Int, bytes: Int64, totalBytes: Int64?, seconds: Double
    ) -> String {
        let rate = seconds > 0 ? Double(bytes) / seconds : 0
        var line = "\(command)  \(done)/\(total) files  \(ProgressBar.megabytes(bytes))"
        if let totalBytes { line += " / \(ProgressBar.megabytes(totalBytes))" }
        line += "  \(ProgressBar.megabytes(Int64(rate)))/s"
        if let totalBytes {
            let left = max(0, totalBytes - bytes)
            line += rate > 0 ? "  ETA \(ProgressBar.clock(Int((Double(left) / rate).rounded(.up))))" : "  ETA --:--"
        }
        return line
    }

    /// Redraws the progress line on standard error until cancelled.
    func draw() async {
        while true {
            try? await Task.sleep(for: ProgressBar.interval)
            guard !Task.isCancelled else { return }
            Console.shared.errRaw(ProgressBar.clearLine + progressLine())
        }
    }

    /// Erases the progress line.
    func finishDrawing() {
        Console.shared.errRaw(ProgressBar.clearLine)
    }

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    /// Milliseconds are enough for scripts.
    static func rounded(_ seconds: Double) -> Double {
        (seconds * 1000).rounded() / 1000
    }
}
