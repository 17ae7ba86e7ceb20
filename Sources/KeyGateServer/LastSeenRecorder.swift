import KeyGateKeys
import KeyGateSystem
import Synchronization

/// Keeps `DIR/last_seen` (`LastSeenFile`) for `keygate keys`: logins are
/// noted in memory and written at most once per `interval`, within
/// `interval` of a login, and once more when the server stops, so a busy
/// server does not rewrite the file on every login.
final class LastSeenRecorder: Sendable {
    private let file: LastSeenFile
    private let interval: Duration
    private let log: Log
    /// Logins not yet written: fingerprint → seconds since 1970.
    private let pending = Mutex<[String: Int64]>([:])

    init(file: LastSeenFile, interval: Duration = .seconds(10), log: Log) {
        self.file = file
        self.interval = interval
        self.log = log
    }

    /// Notes that the key with `fingerprint` logged in at `seconds` since 1970.
    func recordLogin(_ fingerprint: String, at seconds: Int64) {
        pending.withLock { $0[fingerprint] = max($0[fingerprint] ?? seconds, seconds) }
    }

    /// Writes the noted logins every `interval` until cancelled.
    func run() async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            await flush()
        }
    }

    /// Writes the noted logins now, if there are any. A failed write is
    /// logged and its logins kept for the next one.
    func flush() async {
        let logins = pending.withLock { logins in
            defer { logins = [:] }
            return logins
        }
        guard !logins.isEmpty else { return }
        let file = self.file
        do {
            try await KeyFileIO.perform { () throws(KeyFileError) in try file.record(logins) }
        } catch {
            log.warning("cannot record last logins", ["file": file.path, "problem": error.description])
            pending.withLock { $0.merge(logins) { max($0, $1) } }
        }
    }
}
