import Glibc
import KeyGateSystem

/// A trace file read back (`keygate trace`): its sessions, in the order
/// their first line appears, each with its lines in file order.
public struct TraceFileContents: Sendable {
    /// One line of the file.
    public struct Record: Sendable {
        /// Its line number, from 1.
        public let line: Int
        public let value: JSONValue
        /// The `event` member: message, token, grant, denial, data_port.
        public var event: String { value["event"]?.stringValue ?? "" }
    }

    /// One session's lines.
    public struct Session: Sendable {
        public let id: String
        public var records: [Record]
    }

    public let path: String
    public let sessions: [Session]

    /// The largest file `read(path:)` takes: far more than any class's traces.
    public static let maximumByteCount = 256 << 20

    /// Parses the bytes of a trace file.
    /// - Throws: `TraceFileError.empty`, `.notATraceFile` for a line that is
    ///   not a JSON object with string members `session` and `event`,
    ///   `.truncated` for a last line without newline that does not parse.
    public static func parse(_ bytes: [UInt8], path: String) throws(TraceFileError) -> TraceFileContents {
        var sessions: [Session] = []
        var indexOfSession: [String: Int] = [:]
        var lineNumber = 0
        var start = 0
        while start < bytes.count {
            lineNumber += 1
            let newline = bytes[start...].firstIndex(of: 0x0a)
            let end = newline ?? bytes.count
            let line = Array(bytes[start..<end])
            start = end + 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0d }) { continue }
            let value: JSONValue
            do {
                value = try JSONValue.parse(line)
            } catch {
                if newline == nil { throw .truncated(path: path, line: lineNumber) }
                throw .notATraceFile(path: path, line: lineNumber, reason: error.description)
            }
            guard case .object = value, let id = value["session"]?.stringValue, !id.isEmpty,
                  value["event"]?.stringValue != nil
            else {
                throw .notATraceFile(path: path, line: lineNumber, reason: "no \"session\" and \"event\" members")
            }
            let record = Record(line: lineNumber, value: value)
            if let index = indexOfSession[id] {
                sessions[index].records.append(record)
            } else {
                indexOfSession[id] = sessions.count
                sessions.append(Session(id: id, records: [record]))
            }
        }
        guard !sessions.isEmpty else { throw .empty(path: path) }
        return TraceFileContents(path: path, sessions: sessions)
    }

    /// Reads and parses the file at `path` on the blocking executor.
    /// - Throws: `TraceFileError`, as `parse` does, or `.system` when the
    ///   file cannot be read (or is larger than `maximumByteCount`).
    public static func read(path: String) async throws(TraceFileError) -> TraceFileContents {
        let bytes = try await BlockingExecutor.shared.run { () throws(TraceFileError) -> [UInt8] in
            try readAll(path: path)
        }
        return try parse(bytes, path: path)
    }

    /// The session `id`, or all of them when `id` is nil.
    /// - Throws: `TraceFileError.unknownSession` naming the ids there are.
    public func sessions(matching id: String?) throws(TraceFileError) -> [Session] {
        guard let id else { return sessions }
        guard let session = sessions.first(where: { $0.id == id }) else {
            throw .unknownSession(id, known: sessions.map(\.id))
        }
        return [session]
    }

    private static func readAll(path: String) throws(TraceFileError) -> [UInt8] {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .system(path: path, call: "open", errno: errno) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, call: "read", errno: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk[0..<count]
            guard bytes.count <= maximumByteCount else { throw .system(path: path, call: "read", errno: EFBIG) }
        }
    }
}
