import Glibc
import Synchronization

/// The server's allow-list, `authorized_keys`: the client keys let in, each
/// with the name the client is known by and what it may do; and beside it
/// the revocation list, `revoked_keys`.
///
/// Each line is `[options] <algorithm> <base64 public key> [name]`
/// (PROTOCOL.md section 8 and "Key options"); `#` starts a comment line and
/// blank lines are ignored. A line without a name gets the key's
/// fingerprint as its name. A name is one word without whitespace or
/// control characters, and names one key per algorithm (a client may have
/// an X25519 key and an FFDHE key under the same name).
///
/// Every lookup stats the files and reads them again when they have
/// changed, so edits take effect for new connections without a restart. A
/// line that cannot be used is reported (`warnings`, `onWarning`) and
/// skipped, never half-accepted; a line whose options cannot be used denies
/// its key whatever other lines say (fail closed); of two lines with the
/// same key, or the same name for the same algorithm, the first wins. A
/// missing file is an empty list. A file that exists but cannot be read
/// also lets nobody in (and is reported): falling back to an older copy
/// could keep a removed key working. A key in `revoked_keys` is denied even
/// while it is listed, and a `revoked_keys` that exists but cannot be read
/// denies every key, as sshd's RevokedKeys does.
public final class AuthorizedKeys: Sendable {
    /// One accepted line.
    public struct Entry: Equatable, Sendable {
        /// The allowed key.
        public let key: PublicKey
        /// The client's name: the line's comment, or the key's fingerprint.
        public let name: String
        /// The line number in the file, from 1.
        public let line: Int
        /// What the line lets the key do.
        public let options: KeyOptions

        public init(key: PublicKey, name: String, line: Int, options: KeyOptions = KeyOptions()) {
            self.key = key
            self.name = name
            self.line = line
            self.options = options
        }
    }

    /// What the lists say about one key.
    public enum Verdict: Equatable, Sendable {
        /// Listed and not revoked: let in as `entry` says.
        case allowed(Entry)
        /// Not in the allow-list.
        case notListed
        /// Listed on `line` with options that cannot be used.
        case failedClosed(line: Int)
        /// In `revoked_keys`, on `line`.
        case revoked(line: Int)
        /// `revoked_keys` exists but could not be read: nobody is let in.
        case revocationsUnreadable(KeyFileError)
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

    /// The allow-list file, as given.
    public let path: String
    /// The revocation file: `revoked_keys` in the allow-list's folder
    /// unless given.
    public let revokedPath: String
    private let onWarning: (@Sendable (KeyFileError) -> Void)?
    private let state: Mutex<State>

    private struct State {
        var allowed: WatchedKeyFile<AuthorizedKeysList>
        var revoked: WatchedKeyFile<RevokedKeysList>

        /// Both files, read again where they changed (or `force`); the new
        /// warnings, or nil when there are none new.
        mutating func refresh(force: Bool) -> [KeyFileError]? {
            let fromAllowed = allowed.refresh(force: force)
            let fromRevoked = revoked.refresh(force: force)
            if fromAllowed == nil && fromRevoked == nil { return nil }
            return (fromAllowed ?? []) + (fromRevoked ?? [])
        }
    }

    /// The name of the revocation file beside the allow-list.
    public static let revokedFileName = "revoked_keys"

    /// An allow-list read from `path` on first use.
    /// - Parameters:
    ///   - revokedPath: the revocation file; `revoked_keys` beside `path`
    ///     when nil.
    ///   - onWarning: called, outside any lock, with each problem found
    ///     when a lookup reads a file (again): malformed lines, duplicates,
    ///     options that fail closed, a file that cannot be read. Give it the
    ///     server's log.
    public init(path: String, revokedPath: String? = nil, onWarning: (@Sendable (KeyFileError) -> Void)? = nil) {
        self.path = path
        let revokedPath = revokedPath ?? FileSystem.directoryName(of: path) + "/" + Self.revokedFileName
        self.revokedPath = revokedPath
        self.onWarning = onWarning
        state = Mutex(State(allowed: WatchedKeyFile(path: path), revoked: WatchedKeyFile(path: revokedPath)))
    }

    /// What the lists say about `key`, read again first where they changed.
    public func verdict(for key: PublicKey) -> Verdict {
        current { allowed, revoked in
            if let failure = revoked.failure { return .revocationsUnreadable(failure) }
            if let line = revoked.lines[key] { return .revoked(line: line) }
            if let line = allowed.failedClosed[key] { return .failedClosed(line: line) }
            guard let entry = allowed.entriesByKey[key] else { return .notListed }
            return .allowed(entry)
        }
    }

    /// Those of `keys` that `revoked_keys` lists now (one read of the files
    /// for all of them): for closing the sessions of revoked keys.
    public func revoked(among keys: [PublicKey]) -> [PublicKey] {
        current { _, revoked in keys.filter { revoked.lines[$0] != nil } }
    }

    /// The name of `key` if it is allowed (listed, not revoked), else nil.
    public func name(for key: PublicKey) -> String? {
        guard case let .allowed(entry) = verdict(for: key) else { return nil }
        return entry.name
    }

    /// The accepted lines, in file order (read again if the file changed).
    public var entries: [Entry] {
        current { allowed, _ in allowed.entries }
    }

    /// The lines of `revoked_keys`, in file order.
    public var revokedEntries: [Entry] {
        current { _, revoked in revoked.entries }
    }

    /// The problems found by the latest read of the files (read again if
    /// they changed).
    public var warnings: [KeyFileError] {
        current { allowed, revoked in allowed.warnings + revoked.warnings }
    }

    /// Reads the files now, whether or not they changed, and returns the
    /// problems found (without passing them to `onWarning`): for a server to
    /// log at startup.
    @discardableResult
    public func reload() -> [KeyFileError] {
        state.withLock { state in
            _ = state.refresh(force: true)
            return state.allowed.contents.warnings + state.revoked.contents.warnings
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
            state.allowed.invalidate()
            return true
        }
    }

    /// Allows `key` under `name` (or, when nil, its fingerprint) by
    /// rewriting the file atomically with the new line at the end; comments,
    /// other lines and the file's permissions are kept. Creates the file,
    /// with `header`, if it does not exist.
    ///
    /// Adding a key that is already allowed changes nothing, whatever name is
    /// given. Processes adding at the same moment take turns (`flock`).
    /// - Throws: `KeyFileError.invalidName`, `.nameTaken` when another key of
    ///   the same algorithm has the name, `.systemCallFailed`.
    public func add(_ key: PublicKey, name: String?, options: KeyOptions = KeyOptions()) throws(KeyFileError) -> AddResult {
        if let name { try AuthorizedKeys.validateName(name) }
        return try withFileLock { () throws(KeyFileError) -> AddResult in try addWhileLocked(key, name: name, options: options) }
    }

    /// `add` for a caller that holds the lists' lock.
    func addWhileLocked(_ key: PublicKey, name: String?, options: KeyOptions) throws(KeyFileError) -> AddResult {
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
        bytes += Array((Self.line(for: key, name: chosen, options: options) + "\n").utf8)
        try FileSystem.writeAtomically(bytes, to: path, mode: KeyStore.publicFileMode, existing: .replaceKeepingPermissions)
        return .added(name: chosen)
    }

    /// Runs `body`, which rewrites the files, under the lists' lock, and
    /// makes the next lookup read both files again.
    /// The lock is held within this process and, through `flock` on
    /// `DIR/.keygate.lock`, against other processes (`keygate allow`,
    /// `revoke`, `invite` and a server redeeming an invite), so that no
    /// rewrite undoes another's.
    func withFileLock<Value>(_ body: () throws(KeyFileError) -> Value) throws(KeyFileError) -> Value {
        try state.withLock { (state) throws(KeyFileError) -> Value in
            defer {
                state.allowed.invalidate()
                state.revoked.invalidate()
            }
            try FileSystem.makeDirectory(FileSystem.directoryName(of: path), mode: KeyStore.directoryMode)
            let lock = try FileSystem.lockExclusively(lockPath)
            defer { FileSystem.unlock(lock) }
            return try body()
        }
    }

    /// The lock file of the key lists in the allow-list's folder.
    var lockPath: String { FileSystem.directoryName(of: path) + "/.keygate.lock" }

    /// The file line for `key`: its options, if any, then the key and name.
    public static func line(for key: PublicKey, name: String, options: KeyOptions) -> String {
        options.isEmpty ? key.line(comment: name) : options.description + " " + key.line(comment: name)
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

    /// `read` applied to the lists, read again first where they changed;
    /// new warnings go to `onWarning` after the lock is released.
    private func current<Value: Sendable>(_ read: (AuthorizedKeysList, RevokedKeysList) -> Value) -> Value {
        let (value, warnings) = state.withLock { state in
            let warnings = state.refresh(force: false)
            return (read(state.allowed.contents, state.revoked.contents), warnings)
        }
        if let onWarning, let warnings {
            for warning in warnings { onWarning(warning) }
        }
        return value
    }
}
