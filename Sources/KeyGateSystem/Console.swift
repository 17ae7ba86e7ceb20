import Glibc

/// Standard output and standard error for commands, written through the
/// `OutputWriter` (one lane with the log's lines), so that a slow terminal
/// or a full pipe never blocks the tasks that print.
public final class Console: Sendable {
    public static let shared = Console()

    private let writer = OutputWriter.shared

    /// Writes `line` and a newline to standard output.
    public func out(_ line: String) {
        write(Array((line + "\n").utf8), to: STDOUT_FILENO)
    }

    /// Writes `text` to standard output as is.
    public func outRaw(_ text: String) {
        write(Array(text.utf8), to: STDOUT_FILENO)
    }

    /// Writes `text` to standard error as is (a progress line redrawn with `\r`).
    public func errRaw(_ text: String) {
        write(Array(text.utf8), to: STDERR_FILENO)
    }

    /// Writes `line` and a newline to standard error.
    public func err(_ line: String) {
        write(Array((line + "\n").utf8), to: STDERR_FILENO)
    }

    /// Waits until everything written so far has reached the descriptors.
    public func flush() async {
        await writer.flush()
    }

    private func write(_ bytes: [UInt8], to descriptor: Int32) {
        writer.write(bytes, to: descriptor)
    }
}
