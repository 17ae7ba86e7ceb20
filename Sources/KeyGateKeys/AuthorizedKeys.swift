import Glibc
import Synchronization

/// The server's allow-list, `authorized_keys`: the client keys let in, each
/// with the name the client is known by.
///
/// Each line is `<algorithm> <base64 public key> [name]` (PROTOCOL.md
/// section 8); `#` starts a comment line and blank lines are ignored. A line
/// without a name gets the key's fingerprint as its name. A name is one word
/// without whitespace or control characters, and names one key per algorithm
/// (a client may have an X25519 key and an FFDHE key under the same name).
///
/// Every lookup stats the file and reads it again when it has changed, so
/// edits take effect for new connections without a restart. A line that
/// cannot be used is reported (`warnings`, `onWarning`) and skipped, never
/// half-accepted; of two lines with the same key, or the same name for the
/// same algorithm, the first wins. A missing file is an empty list. A file
/// that exists but cannot be read also lets nobody in (and is reported):
/// falling back to an older copy could keep a removed key working.
public final class AuthorizedKeys: Sendable {
    /// One accepted line.
    public struct Entry: Equatable, Sendable {
        /// The allowed key.
        public let key: PublicKey
        /// The client's name: the line's comment, or the key's fingerprint.
        public let name: String
        /// The line number in the file, from 1.
        public let line: Int
    }

    /// What `add(_:name:)` did.
    public enum AddResult: Equatable, Sendable {
        /// The key was appended under this name.
        case added(name: String)
        /// The key was already allowed, under this name; nothing changed.
        case alreadyPresent(name: String)
    }

    /// The comment a new allow-list starts with.
    public static let header = """
        # KeyGate allow-list: the client keys this server lets in, one per line:
        #   <algorithm> <base64 public key> <name>
        # algorithm is \(KeyAlgorithm.allNames); name is one word, shown to
        # other users (a line without a name gets the key's fingerprint).
        # Add a client with: keygate allow CLIENT.pub --name NAME
        # Lines starting with # are comments. Edits apply to new connections at once.

        """

    /// The longest name, in UTF-8 bytes.
    public static let maximumNameLength = 64

    /// The file, as given.
    public let path: String
    private let onWarning: (@Sendable (KeyFileError) -> Void)?
    private let state = Mutex(State())

    private struct State {
        /// What was read last; nil before the first load and after `add`.
        var status: FileSystem.Status?
        /// The file was modified too recently for its stamp to prove that a
        /// later write would change it (see `FileStamp.isRecent`).
        var mustReread = false
        /// The folder's owner and mode at the last read: a folder made
        /// writable by others makes the file unsafe, so it is read again.
        var folder: [UInt32]?
        var list = AuthorizedKeysList()
    }

    /// An allow-list read from `path` on first use.
    /// - Parameter onWarning: called, outside any lock, with each problem
    ///   found when a lookup reads the file (again): malformed lines,
    ///   duplicates, a file that cannot be read. Give it the server's log.
    public init(path: String, onWarning: (@Sendable (KeyFileError) -> Void)? = nil) {
        self.path = path
        self.onWarning = onWarning
    }

    /// The name of `key` if it is allowed, else nil. Reads the file again
    /// first if it changed since the last read.
    public func name(for key: PublicKey) -> String? {
        current { $0.entriesByKey[key]?.name }
    }

    /// The accepted lines, in file order (read again if the file changed).
    public var entries: [Entry] {
        current(\.entries)
    }

    /// The problems found by the latest read of the file (read again if the
    /// file changed).
    public var warnings: [KeyFileError] {
        current(\.warnings)
    }

    /// Reads the file now, whether or not it changed, and returns the
    /// problems found (without passing them to `onWarning`): for a server to
    /// log at startup.
    @discardableResult
    public func reload() -> [KeyFileError] {
        state.withLock { state in
            _ = refresh(&state, force: true)
            return state.list.warnings
        }
    }

    /// Creates the file with `header` and no keys if it does not exist
    /// (and its folder, with mode 0700).
    /// - Returns: whether the file was created.
    /// - Throws: `KeyFileError.systemCallFailed` if it cannot be written.
    @discardableResult
    public func createIfMissing() throws(KeyFileError) -> Bool {
        try state.withLock { (state) throws(KeyFileError) -> Bool in
            if FileSystem.exists(path) { return false }
            try FileSystem.makeDirectory(FileSystem.directoryName(of: path), mode: KeyStore.directoryMode)
            do throws(KeyFileError) {
                try FileSystem.writeAtomically(Array(AuthorizedKeys.header.utf8), to: path,
                                               mode: KeyStore.publicFileMode, existing: .fail)
            } catch .systemCallFailed("link", _, EEXIST) {
                return false
            }
            state.status = nil
            return true
        }
    }

    /// Allows `key` under `name` (or, when nil, its fingerprint) by
    /// rewriting the file atomically with the new line at the end; comments,
    /// other lines and the file's permissions are kept. Creates the file,
    /// with `header`, if it does not exist.
    ///
    /// Adding a key that is already allowed changes nothing, whatever name is
    /// given. Two processes adding at the same moment may lose one addition
    /// (each rewrite is complete, the last one wins).
    /// - Throws: `KeyFileError.invalidName`, `.nameTaken` when another key of
    ///   the same algorithm has the name, `.systemCallFailed`.
    public func add(_ key: PublicKey, name: String?) throws(KeyFileError) -> AddResult {
        if let name { try AuthorizedKeys.validateName(name) }
        return try state.withLock { (state) throws(KeyFileError) -> AddResult in
            let contents = try FileSystem.read(path, protection: .trusted)
            let list = AuthorizedKeysList(parsing: contents?.bytes ?? [], path: path)
            if let existing = list.entriesByKey[key] {
                return .alreadyPresent(name: existing.name)
            }
            let chosen = name ?? key.fingerprint
            if let other = list.entry(named: chosen, algorithm: key.algorithm) {
                throw .nameTaken(name: chosen, path: path, line: other.line, fingerprint: other.key.fingerprint)
            }
            var bytes = contents?.bytes ?? Array(AuthorizedKeys.header.utf8)
            if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
            bytes += Array((key.line(comment: chosen) + "\n").utf8)
            if contents == nil {
                try FileSystem.makeDirectory(FileSystem.directoryName(of: path), mode: KeyStore.directoryMode)
            }
            try FileSystem.writeAtomically(bytes, to: path, mode: KeyStore.publicFileMode,
                                           existing: .replaceKeepingPermissions)
            state.status = nil
            return .added(name: chosen)
        }
    }

    /// Checks that `name` can be a client name: not empty, at most
    /// `maximumNameLength` UTF-8 bytes, no whitespace, no control or
    /// formatting characters (which could hide or reorder text in a chat).
    /// - Throws: `KeyFileError.invalidName`.
    public static func validateName(_ name: String) throws(KeyFileError) {
        if let reason = problem(withName: name) {
            throw .invalidName(name: name, reason: reason)
        }
    }

    /// Why `name` cannot be a client name, or nil if it can.
    static func problem(withName name: String) -> String? {
        if name.isEmpty { return "it is empty" }
        if name.utf8.count > maximumNameLength { return "it is longer than \(maximumNameLength) bytes" }
        for scalar in name.unicodeScalars {
            if scalar.properties.isWhitespace { return "it contains whitespace" }
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .unassigned, .privateUse, .surrogate:
                return "it contains a control or invisible character (U+\(String(scalar.value, radix: 16, uppercase: true)))"
            default:
                continue
            }
        }
        return nil
    }

    /// Reads the file if it changed (or `force`), and returns the warnings
    /// to report, or nil when nothing new was found.
    private func refresh(_ state: inout State, force: Bool) -> [KeyFileError]? {
        let status = FileSystem.status(path)
        let folder = FileSystem.folderProtection(of: path)
        if !force, !state.mustReread, let previous = state.status, previous == status, state.folder == folder {
            return nil
        }
        state.folder = folder
        let wasLoaded = state.status != nil
        let previousWarnings = state.list.warnings
        var newStatus = status
        state.mustReread = false
        switch status {
        case .missing:
            state.list = AuthorizedKeysList()
        case let .failed(code):
            state.list = AuthorizedKeysList(failure: .systemCallFailed(call: "stat", path: path, errno: code))
        case .present:
            do {
                if let contents = try FileSystem.read(path, protection: .trusted) {
                    state.list = AuthorizedKeysList(parsing: contents.bytes, path: path)
                    newStatus = .present(contents.stamp)
                    state.mustReread = contents.stamp.isRecent(now: FileSystem.now())
                } else {
                    state.list = AuthorizedKeysList()
                    newStatus = .missing
                }
            } catch {
                state.list = AuthorizedKeysList(failure: error)
            }
        }
        let changed = state.status != newStatus
        state.status = newStatus
        // A file read again only because it is recent repeats its warnings:
        // report them once.
        if wasLoaded && !changed && state.list.warnings == previousWarnings { return nil }
        return state.list.warnings
    }

    /// `read` applied to the list, read again first if the file changed;
    /// new warnings go to `onWarning` after the lock is released.
    private func current<Value: Sendable>(_ read: (AuthorizedKeysList) -> Value) -> Value {
        let (value, warnings) = state.withLock { state in
            let warnings = refresh(&state, force: false)
            return (read(state.list), warnings)
        }
        if let onWarning, let warnings {
            for warning in warnings { onWarning(warning) }
        }
        return value
    }
}
