import Glibc
import KeyGateChannel
import KeyGateSystem
import Synchronization

/// The chat's history on disk (`--chat-log FILE`): every room message, as
/// delivered, one JSON object per line, appended; read back at start so
/// that history and transcripts survive a restart.
///
/// Appends are written (write(2), to the page cache) before the message
/// is handed to any member, so a message someone has seen is never lost
/// when the server is killed; fsync runs at most once a second, so a crash
/// of the whole machine loses at most the last second. All file work runs
/// on one lane of the blocking executor, never on the cooperative pool.
final class ChatLog: Sendable {
    /// One room as the file left it.
    struct Room: Sendable {
        var lastSeq = 0
        var head = ChatMessage.emptyHead
        var history: [ChatMessage] = []
    }

    /// What reading the file found.
    struct Contents: Sendable {
        var rooms: [String: Room] = [:]
        /// Lines that were not a message: a torn last line after a crash,
        /// or damage. Skipped, never fatal.
        var skippedLines = 0
        /// Messages whose stored hash does not follow from the one before
        /// (lines lost or edited); the stored hash is kept as the head.
        var brokenLinks = 0
    }

    /// The log could not be opened or read.
    struct Failure: Error, CustomStringConvertible {
        let path: String
        let call: String
        let code: Int32

        var description: String {
            "chat log \(path): \(call) failed: \(String(cString: strerror(code)))"
                + (code == EACCES ? " (check the file's owner and mode)" : "")
        }
    }

    let path: String
    let lane: BlockingLane
    private let descriptor: Int32
    private let dirty = Atomic<Bool>(false)
    private let log: Log

    private init(path: String, descriptor: Int32, lane: BlockingLane, log: Log) {
        self.path = path
        self.descriptor = descriptor
        self.lane = lane
        self.log = log
    }

    /// Reads the file at `path` (if it exists) keeping the last
    /// `historyCount` messages of each room, then opens it for appending
    /// (created 0600). Runs on the blocking executor.
    static func open(path: String, historyCount: Int, log: Log) async throws -> (ChatLog, Contents) {
        let lane = BlockingExecutor.shared.lane()
        return try await lane.run { () throws -> (ChatLog, Contents) in
            let contents = try read(path: path, historyCount: historyCount)
            let descriptor = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw Failure(path: path, call: "open", code: errno) }
            return (ChatLog(path: path, descriptor: descriptor, lane: lane, log: log), contents)
        }
    }

    /// Appends one message line; call from a job of `lane`.
    func appendNow(_ line: [UInt8]) {
        let failure = (line + [0x0a]).withUnsafeBytes { BlockingWrite.all($0, to: descriptor) }
        if let failure {
            log.error("chat log write failed; history on disk is incomplete", ["path": path, "error": String(cString: strerror(failure))])
            return
        }
        dirty.store(true, ordering: .relaxed)
    }

    /// Flushes appended lines to the disk if there are any; call from a
    /// job of `lane`.
    func syncNow() {
        guard dirty.exchange(false, ordering: .relaxed) else { return }
        if fsync(descriptor) != 0 {
            log.warning("chat log fsync failed", ["path": path, "error": String(cString: strerror(errno))])
        }
    }

    /// Syncs every second until cancelled, then once more and closes.
    func syncEverySecond() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            await lane.run { self.syncNow() }
        }
        await lane.run {
            self.syncNow()
            close(self.descriptor)
        }
    }

    /// Reads the messages of the file, a chunk at a time, keeping only the
    /// last `historyCount` of each room.
    static func read(path: String, historyCount: Int) throws -> Contents {
        var contents = Contents()
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return contents }
            throw Failure(path: path, call: "open", code: errno)
        }
        defer { close(descriptor) }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, call: "read", code: errno)
            }
            if count == 0 { break }
            pending += chunk[0..<count]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0a) {
                take(Array(pending[start..<newline]), into: &contents, historyCount: historyCount)
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        // A last line without its newline was torn by a crash mid-write.
        if !pending.isEmpty { contents.skippedLines += 1 }
        return contents
    }

    private static func take(_ line: [UInt8], into contents: inout Contents, historyCount: Int) {
        guard !line.isEmpty else { return }
        guard let value = try? JSONValue.parse(line), value["type"]?.stringValue == "msg",
              let message = ChatMessage(json: value), value["room"] != nil,
              let stored = Hex.decode(message.hash), stored.count == ChatMessage.emptyHead.count
        else {
            contents.skippedLines += 1
            return
        }
        var room = contents.rooms[message.room] ?? Room()
        if message.seq != room.lastSeq + 1 || message.chained(after: room.head) != stored {
            contents.brokenLinks += 1
        }
        room.lastSeq = message.seq
        room.head = stored
        if historyCount > 0 {
            room.history.append(message)
            if room.history.count > 2 * historyCount { room.history.removeFirst(room.history.count - historyCount) }
        }
        contents.rooms[message.room] = room
    }
}
