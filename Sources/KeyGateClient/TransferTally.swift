import KeyGateSystem
import KeyGateChannel
import KeyGateFTP
import Synchronization

/// What the file transfers of one command did: with `--json`, one event
/// per file on standard output (and one per skipped entry); for a
/// multi-file command, a summary at the end (the last JSON event, or a
/// line on standard error) and, on a terminal, an overall progress line
/// (files done of the total, bytes, rate).
///
/// Events, one JSON object a line:
///
///     {"event":"file","command":"get","remote":"/a.txt","local":"a.txt","bytes":12,"seconds":0.004,"verified":true,"ok":true}
///     {"event":"file","command":"put",...,"ok":false,"error":"..."}
///     {"event":"skipped","path":"dir/link","reason":"a link or special file, not followed"}
///     {"event":"unmatched","pattern":"*.pdf","ok":false}
///     {"event":"summary","command":"put -r","files":1000,"failed":0,"skipped":1,"unchanged":0,"bytes":123456,"seconds":2.5}
final class TransferTally: Sendable {
    private struct State {
        var done = 0
        var failed = 0
        var skipped = 0
        var unchanged = 0
        var bytes: Int64 = 0
        var total = 0
    }

    let command: String
    let json: Bool
    private let state = Mutex(State())
    private let started = ContinuousClock.now

    init(command: String, json: Bool) {
        self.command = command
        self.json = json
    }

    /// The number of files the command will move, for the progress line.
    func expect(_ count: Int) {
        state.withLock { $0.total += count }
    }

    /// Whether any file failed.
    var failures: Int { state.withLock { $0.failed } }

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
            Console.shared.out(JSONValue.object([
                ("event", .string("summary")), ("command", .string(command)), ("files", .integer(state.done)),
                ("failed", .integer(state.failed)), ("skipped", .integer(state.skipped)),
                ("unchanged", .integer(state.unchanged)), ("bytes", .integer(Int(state.bytes))), ("seconds", .double(Self.rounded(seconds))),
            ]).description)
        } else {
            let rate = seconds > 0 ? Int64(Double(state.bytes) / seconds) : 0
            let unchanged = state.unchanged > 0 ? ", \(state.unchanged) unchanged" : ""
            Console.shared.err("\(command): \(state.done) files (\(state.failed) failed, \(state.skipped) skipped\(unchanged)), "
                + "\(ProgressBar.megabytes(state.bytes)) in \(Self.rounded(seconds)) s, \(ProgressBar.megabytes(rate))/s")
        }
    }

    /// The overall progress line: `put -r  12/1000 files  3.4 MB  1.2 MB/s`.
    func progressLine() -> String {
        let state = self.state.withLock { $0 }
        let seconds = Self.seconds(since: started)
        let rate = seconds > 0 ? Int64(Double(state.bytes) / seconds) : 0
        return "\(command)  \(state.done)/\(state.total) files  \(ProgressBar.megabytes(state.bytes))  "
            + "\(ProgressBar.megabytes(rate))/s"
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
