import KeyGateSystem
import Glibc

/// The transfer log in the wu-ftpd xferlog format (`--xferlog FILE`), as
/// vsftpd and ProFTPD write it and log analysers read it: one line per
/// file transfer (RETR, STOR, APPE) that completed or failed, appended on a
/// lane of its own, in the order the transfers ended. Listings are not
/// logged. The fields, separated by single spaces (README, "Transfer
/// log"):
///
///     current-time transfer-time remote-host file-size filename transfer-type
///     special-action-flag direction access-mode username service-name
///     authentication-method authenticated-user-id completion-status
///
///     Thu Dec  3 16:53:36 2026 2 127.0.0.1 1048576 /reports/q4.pdf b _ i r alice ftp 0 * c
public final class TransferLog: Sendable {
    /// One transfer, as the log records it.
    public struct Record: Sendable, Equatable {
        /// When it ended, seconds since 1970.
        public var ended: Int
        /// How long it took, seconds.
        public var seconds: Double
        public var remoteHost: String
        /// The bytes moved.
        public var byteCount: Int64
        /// The path from the client's root.
        public var path: String
        /// TYPE I (`b`) or TYPE A (`a`).
        public var binary: Bool
        /// STOR or APPE (`i`), RETR (`o`).
        public var incoming: Bool
        /// The client's allow-list name.
        public var user: String
        /// `c`, or `i` for a transfer that failed or was aborted.
        public var complete: Bool

        public init(
            ended: Int, seconds: Double, remoteHost: String, byteCount: Int64, path: String, binary: Bool,
            incoming: Bool, user: String, complete: Bool
        ) {
            self.ended = ended
            self.seconds = seconds
            self.remoteHost = remoteHost
            self.byteCount = byteCount
            self.path = path
            self.binary = binary
            self.incoming = incoming
            self.user = user
            self.complete = complete
        }

        /// The line, without its newline. current-time is the server's
        /// local time as ctime(3) writes it; transfer-time is whole seconds
        /// (rounded up, at least 1, as wu-ftpd does); in the filename and
        /// the username, whitespace and control characters become `_`, so
        /// that every line has exactly 14 fields (18 words: the time takes
        /// five). access-mode is `r` (a real user: the key logged in),
        /// authentication-method `0` and authenticated-user-id `*`.
        public var line: String {
            [
                Self.ctime(ended), "\(max(1, Int(seconds.rounded(.up))))", Self.field(remoteHost), "\(byteCount)",
                Self.field(path), binary ? "b" : "a", "_", incoming ? "i" : "o", "r", Self.field(user), "ftp", "0", "*",
                complete ? "c" : "i",
            ].joined(separator: " ")
        }

        /// `Thu Dec  3 16:53:36 2026` in local time.
        static func ctime(_ seconds: Int) -> String {
            var time = time_t(seconds)
            var parts = tm()
            localtime_r(&time, &parts)
            var buffer = [CChar](repeating: 0, count: 64)
            let count = strftime(&buffer, buffer.count, "%a %b %e %H:%M:%S %Y", &parts)
            return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        /// `text` with whitespace and control characters as `_`; `_` for nothing.
        static func field(_ text: String) -> String {
            guard !text.isEmpty else { return "_" }
            return String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
                scalar.value <= 0x20 || scalar.value == 0x7f || scalar.properties.isWhitespace ? "_" : scalar
            }))
        }
    }

    public let path: String
    private let descriptor: FileDescriptor
    private let lane: BlockingLane
    private let log: Log

    private init(path: String, descriptor: FileDescriptor, lane: BlockingLane, log: Log) {
        self.path = path
        self.descriptor = descriptor
        self.lane = lane
        self.log = log
    }

    deinit {
        // Each pending job holds the log: by now they have all run.
        descriptor.close()
    }

    /// Opens `path` for appending, created with mode 0640 if missing.
    /// - Throws: `FTPError` when it cannot be opened.
    public static func open(path: String, log: Log) async throws(FTPError) -> TransferLog {
        let lane = BlockingExecutor.shared.lane()
        return try await lane.run { () throws(FTPError) -> TransferLog in
            let raw = Glibc.open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640)
            guard raw >= 0 else { throw .localFailure(errno: errno, call: "open", path: path) }
            return TransferLog(path: path, descriptor: FileDescriptor(adopting: raw), lane: lane, log: log)
        }
    }

    /// Appends `record`'s line, after the lines appended before it; does
    /// not wait for the write.
    public func append(_ record: Record) {
        let line = Array((record.line + "\n").utf8)
        // The job holds the log, so it is not closed before the line is written.
        lane.submit {
            if let failure = line.withUnsafeBytes({ BlockingWrite.all($0, to: self.descriptor.rawValue) }) {
                self.log.error("transfer log write failed", ["path": self.path, "error": String(cString: strerror(failure))])
            }
        }
    }

    /// Waits for the lines appended so far to be written.
    public func flush() async {
        await lane.run {}
    }

    /// Closes the file after the lines appended so far.
    public func close() async {
        let descriptor = self.descriptor
        await lane.run { descriptor.close() }
    }
}
