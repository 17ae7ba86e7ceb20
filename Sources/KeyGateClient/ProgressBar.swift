import KeyGateSystem
import KeyGateFTP

/// A one-line progress display on standard error for a transfer: bytes,
/// percentage, rate and time left, redrawn in place a few times a second.
///
///     report.pdf  42%  12.3 MB / 29.1 MB  85.2 MB/s  ETA 0:02
struct ProgressBar: Sendable {
    let label: String
    /// The size when known.
    let total: Int64?
    let progress: TransferProgress
    let started = ContinuousClock.now
    static let interval: Duration = .milliseconds(250)
    /// Back to the start of the line and erase it (only drawn on a terminal).
    static let clearLine = "\r\u{1B}[2K"

    /// Redraws until the task is cancelled, starting after one interval
    /// (a transfer refused at once draws nothing).
    func draw() async {
        while true {
            try? await Task.sleep(for: Self.interval)
            guard !Task.isCancelled else { return }
            Console.shared.errRaw(Self.clearLine + line())
        }
    }

    /// The last drawing and a new line for a completed transfer; for a
    /// failed one the bar is erased, so the error stands alone.
    func finish(completed: Bool) {
        Console.shared.errRaw(Self.clearLine + (completed ? line() + "\n" : ""))
    }

    func line() -> String {
        let bytes = progress.bytes
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = seconds > 0 ? Double(bytes) / seconds : 0
        var text = label
        if let total, total > 0 {
            text += "  \(min(100, bytes * 100 / total))%  \(Self.megabytes(bytes)) / \(Self.megabytes(total))"
        } else {
            text += "  \(Self.megabytes(bytes))"
        }
        text += "  \(Self.megabytes(Int64(rate)))/s"
        if let total, rate > 0, bytes < total {
            text += "  ETA \(Self.clock(Int(Double(total - bytes) / rate)))"
        }
        return text
    }

    /// A time left as a clock shows it: `0:42`, `12:05`, and from an hour
    /// on `1:02:03`.
    static func clock(_ seconds: Int) -> String {
        let seconds = max(0, seconds)
        func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        guard seconds >= 3600 else { return "\(seconds / 60):\(twoDigits(seconds % 60))" }
        return "\(seconds / 3600):\(twoDigits(seconds / 60 % 60)):\(twoDigits(seconds % 60))"
    }

    /// `12.3 MB` (10^6 bytes).
    static func megabytes(_ bytes: Int64) -> String {
        let tenths = bytes / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }
}
