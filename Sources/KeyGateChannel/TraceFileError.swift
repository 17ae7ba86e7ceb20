import Glibc

/// What went wrong with a trace file (`--trace-file`, `keygate trace`).
public enum TraceFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call on the file failed.
    case system(path: String, call: String, errno: Int32)
    /// The file holds no line at all.
    case empty(path: String)
    /// A line is not a trace record (JSON with `session` and `event`).
    case notATraceFile(path: String, line: Int, reason: String)
    /// The last line has no newline: the writer stopped in the middle of it.
    case truncated(path: String, line: Int)
    /// `--session` names a session the file does not hold.
    case unknownSession(String, known: [String])

    public var description: String {
        switch self {
        case let .system(path, call, code):
            let hint = code == ENOENT ? " (check the path)" : code == EACCES ? " (check the file's owner and mode)" : ""
            return "\(path): \(call) failed: \(String(cString: strerror(code)))\(hint)"
        case let .empty(path):
            return "\(path) is empty: no session was traced into it (run serve, chat or ftp with --trace-file \(path))"
        case let .notATraceFile(path, line, reason):
            return "\(path) line \(line) is not a trace record (\(reason)); give a file written by --trace-file"
        case let .truncated(path, line):
            return "\(path) line \(line) is cut off (no newline at its end): was the writer stopped in the middle? "
                + "Remove the line or trace the session again"
        case let .unknownSession(id, known):
            return "no session '\(id)' in the file; it holds: \(known.joined(separator: ", "))"
        }
    }
}
