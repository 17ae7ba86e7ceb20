import Glibc
import KeyGateSystem
import Synchronization

/// The file `--trace-file FILE` appends to: one JSON object per line
/// (PROTOCOL.md, "Trace files"), for every session this process traces,
/// each line with its session's id. Created with mode 0600.
///
/// Appending never blocks the caller: lines are written in order on one
/// lane of the blocking executor, never on the cooperative pool. A write
/// that fails is logged once and the trace is incomplete; the sessions go on.
public final class HandshakeTraceFile: Sendable {
    public let path: String
    private let lane: BlockingLane
    private let descriptor: Int32
    private let log: Log
    private let state = Mutex<(closed: Bool, failed: Bool)>((false, false))

    private init(path: String, descriptor: Int32, lane: BlockingLane, log: Log) {
        self.path = path
        self.descriptor = descriptor
        self.lane = lane
        self.log = log
    }

    /// Opens `path` for appending, creating it with mode 0600 (an existing
    /// file is set to 0600 too: traces name keys and addresses).
    /// - Throws: `TraceFileError.system` naming the failed call.
    public static func open(path: String, log: Log) async throws(TraceFileError) -> HandshakeTraceFile {
        let lane = BlockingExecutor.shared.lane()
        return try await lane.run { () throws(TraceFileError) -> HandshakeTraceFile in
            let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw .system(path: path, call: "open", errno: errno) }
            guard fchmod(descriptor, 0o600) == 0 else {
                let code = errno
                Glibc.close(descriptor)
                throw .system(path: path, call: "fchmod", errno: code)
            }
            return HandshakeTraceFile(path: path, descriptor: descriptor, lane: lane, log: log)
        }
    }

    /// Queues `records`, one line each, behind the lines appended before.
    public func append(_ records: [JSONValue]) {
        guard !records.isEmpty else { return }
        var text: [UInt8] = []
        for record in records {
            text += record.bytes
            text.append(0x0a)
        }
        lane.submit { [text] in self.write(text) }
    }

    /// Returns once every line appended so far is written.
    public func flush() async {
        await lane.drain()
    }

    /// Writes what was appended, then closes the file; later appends are dropped.
    public func close() async {
        await lane.run { () -> Void in
            let wasOpen = self.state.withLock { state in
                defer { state.closed = true }
                return !state.closed
            }
            if wasOpen { Glibc.close(self.descriptor) }
        }
    }

    private func write(_ text: [UInt8]) {
        guard !state.withLock({ $0.closed }) else { return }
        guard let failure = text.withUnsafeBytes({ BlockingWrite.all($0, to: descriptor) }) else { return }
        let first = state.withLock { state in
            defer { state.failed = true }
            return !state.failed
        }
        if first {
            log.error("trace file write failed; the trace is incomplete", ["path": path, "error": String(cString: strerror(failure))])
        }
    }
}
