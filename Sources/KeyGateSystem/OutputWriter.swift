import Glibc

/// The one writer of standard output and standard error for the log and
/// the console: bytes are handed to one `BlockingLane`, so a stalled
/// terminal or pipe never holds up the tasks that print, and the lines of
/// both keep the order in which they were written.
public final class OutputWriter: Sendable {
    /// The writer of the process's standard streams.
    public static let shared = OutputWriter()

    private let lane = BlockingExecutor.shared.lane()

    /// Queues `bytes` for `descriptor` (1 or 2). A stream that cannot be
    /// written loses them: there is nowhere left to report that.
    public func write(_ bytes: [UInt8], to descriptor: Int32) {
        lane.submit {
            _ = bytes.withUnsafeBytes { BlockingWrite.all($0, to: descriptor) }
        }
    }

    /// Returns once everything queued so far has been written.
    public func flush() async {
        await lane.drain()
    }
}
