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

    /// Redraws until the task is cancelled.
    func draw() async {
        while !Task.isCancelled {
            Console.shared.errRaw("\r" + line() + "   ")
            try? await Task.sleep(for: Self.interval)
        }
    }

    /// The last drawing, and a new line.
    func finish() {
        Console.shared.errRaw("\r" + line() + "   \n")
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
            let left = Int(Double(total - bytes) / rate)
            text += "  ETA \(left / 60):\(left % 60 < 10 ? "0" : "")\(left % 60)"
        }
        return text
    }

    /// `12.3 MB` (10^6 bytes).
    static func megabytes(_ bytes: Int64) -> String {
        let tenths = bytes / 100_000
        return "\(tenths / 10).\(tenths % 10) MB"
    }
}
