import CKeyGateSystem
import Glibc
import Synchronization

/// A new file written apart from its name and put in place whole by
/// `commit`: readers of the name see the old file or the new one, never a
/// part, even if the process or the machine stops halfway, and of two
/// writers to one name one complete file wins (rename(2) is atomic).
/// Key files, the allow-list, FTP uploads and client downloads are all
/// written this way.
///
/// The bytes wait in an unnamed file (O_TMPFILE) where the file system
/// allows it: nothing shows in the folder, and if the process dies, even by
/// `kill -9`, the kernel frees the file. Elsewhere they wait in a hidden
/// `<prefix><random>` file in the folder, created with O_EXCL. `commit`
/// flushes the file, renames it over the name (or links it to the name,
/// which fails if the name exists), and flushes the folder so the new name
/// survives a crash. `discard`, or as a last resort releasing the object,
/// leaves nothing behind.
///
/// Every method blocks on the file system: from async code, call them on
/// a `BlockingLane`.
public final class PendingFile: Sendable {
    /// Where the bytes wait until the commit.
    public enum Storage: Sendable {
        /// An unnamed file, falling back to `.named` where the file system
        /// or a missing /proc does not allow one.
        case unnamedWherePossible
        /// A hidden file named `<prefix><random>` in the folder.
        case named
    }

    /// What `commit` does when the name exists.
    public enum Placement: Sendable {
        /// Replace the file under the name.
        case replace
        /// Leave it, and fail with `link` and EEXIST.
        case failIfExists
    }

    /// A failed system call: which, and its errno.
    public struct Failure: Error, Equatable, Sendable {
        public let call: String
        public let code: Int32

        public init(call: String, code: Int32) {
            self.call = call
            self.code = code
        }
    }

    private enum Phase {
        case writing, committed, discarded
    }

    /// The pending file, for writes, copies and fchmod before the commit.
    public let descriptor: FileDescriptor
    private let directory: FileDescriptor
    /// The pending file's name in `directory`; nil for an unnamed file.
    private let temporaryName: String?
    private let prefix: String
    private let phase = Mutex(Phase.writing)

    private init(directory: FileDescriptor, descriptor: FileDescriptor, temporaryName: String?, prefix: String) {
        self.directory = directory
        self.descriptor = descriptor
        self.temporaryName = temporaryName
        self.prefix = prefix
    }

    /// Opens a pending file in `directory`, which it then owns (and closes
    /// on commit, discard or a failure here).
    /// - Parameters:
    ///   - prefix: the start of the hidden name, when a name is needed.
    ///   - mode: the mode to create it with (the process's umask applies).
    /// - Throws: `Failure` of `open`.
    public static func create(
        in directory: FileDescriptor, prefix: String, mode: mode_t, storage: Storage = .unnamedWherePossible
    ) throws(Failure) -> PendingFile {
        var temporaryName: String?
        var raw: Int32 = -1
        if storage == .unnamedWherePossible && processFileLinksExist {
            raw = ckg_open_unnamed_file(directory.rawValue, mode)
        }
        if raw < 0 {
            for _ in 0..<16 {
                let name = randomName(prefix: prefix)
                temporaryName = name
                raw = openat(directory.rawValue, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)
                if raw >= 0 || errno != EEXIST { break }
            }
        }
        guard raw >= 0 else {
            let code = errno
            directory.close()
            throw Failure(call: "open", code: code)
        }
        return PendingFile(
            directory: directory, descriptor: FileDescriptor(adopting: raw), temporaryName: temporaryName, prefix: prefix)
    }

    /// An unnamed file gets its name through its /proc/self/fd link.
    private static let processFileLinksExist = access("/proc/self/fd", X_OK) == 0

    private static func randomName(prefix: String) -> String {
        prefix + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Whether the pending bytes are in an unnamed file.
    public var isUnnamed: Bool { temporaryName == nil }

    /// Appends all of `buffer`.
    /// - Throws: `Failure` of `write` (ENOSPC when the disk is full).
    public func write(_ buffer: UnsafeRawBufferPointer) throws(Failure) {
        if let code = BlockingWrite.all(buffer, to: descriptor.rawValue) {
            throw Failure(call: "write", code: code)
        }
    }

    /// Appends all of `bytes`.
    public func write(_ bytes: [UInt8]) throws(Failure) {
        var failure: Failure?
        bytes.withUnsafeBytes { buffer in
            do throws(Failure) {
                try write(buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
    }

    /// Flushes the file to disk and puts it in place under `name` in the
    /// folder, then flushes the folder. Returns the file's status (fstat)
    /// once it is in place, nil if fstat failed.
    /// - Throws: `Failure` of `fsync`, `link` (EEXIST for `.failIfExists`
    ///   when the name exists) or `rename`: the pending file is then gone
    ///   and the name untouched. A failed flush of the folder (`fsync`
    ///   after everything else) leaves the new file in place.
    @discardableResult
    public func commit(as name: String, placement: Placement = .replace) throws(Failure) -> stat? {
        let mayCommit = phase.withLock { phase in
            guard phase == .writing else { return false }
            phase = .committed
            return true
        }
        guard mayCommit else { throw Failure(call: "rename", code: EBADF) }
        var pendingName = temporaryName
        do throws(Failure) {
            guard fsync(descriptor.rawValue) == 0 else { throw Failure(call: "fsync", code: errno) }
            switch (placement, pendingName) {
            case (.replace, nil):
                pendingName = try linkUnnamedFile(under: nil)
                try rename(pendingName!, to: name)
            case let (.replace, temporary?):
                try rename(temporary, to: name)
            case (.failIfExists, nil):
                _ = try linkUnnamedFile(under: name)
            case let (.failIfExists, temporary?):
                guard linkat(directory.rawValue, temporary, directory.rawValue, name, 0) == 0 else {
                    throw Failure(call: "link", code: errno)
                }
                // The file is in place under its name; the hidden one goes.
                unlinkat(directory.rawValue, temporary, 0)
            }
        } catch {
            descriptor.close()
            if let pendingName { unlinkat(directory.rawValue, pendingName, 0) }
            directory.close()
            throw error
        }
        // The file itself, not the name: another rename may already have
        // put a different file under it. Linking and renaming changed the
        // status-change time, so this is after them.
        var status = stat()
        let placed = fstat(descriptor.rawValue, &status) == 0 ? status : nil
        descriptor.close()
        defer { directory.close() }
        guard fsync(directory.rawValue) == 0 else { throw Failure(call: "fsync", code: errno) }
        return placed
    }

    private func rename(_ pending: String, to name: String) throws(Failure) {
        guard renameat(directory.rawValue, pending, directory.rawValue, name) == 0 else {
            throw Failure(call: "rename", code: errno)
        }
    }

    /// Links the unnamed file into the folder: under `name`, which fails
    /// if it exists, or under a fresh hidden name (returned) for a rename
    /// over the target (rename(2) needs a name; linkat(2) will not replace
    /// one). A hidden name exists only for the instant before the rename.
    private func linkUnnamedFile(under name: String?) throws(Failure) -> String {
        let link = "/proc/self/fd/\(descriptor.rawValue)"
        for _ in 0..<16 {
            let candidate = name ?? Self.randomName(prefix: prefix)
            if linkat(AT_FDCWD, link, directory.rawValue, candidate, AT_SYMLINK_FOLLOW) == 0 { return candidate }
            let code = errno
            if code != EEXIST || name != nil { throw Failure(call: "link", code: code) }
        }
        throw Failure(call: "link", code: EEXIST)
    }

    /// Removes the pending file. Idempotent; does nothing after a commit.
    public func discard() {
        let shouldDiscard = phase.withLock { phase in
            guard phase == .writing else { return false }
            phase = .discarded
            return true
        }
        guard shouldDiscard else { return }
        // Closing the last descriptor of an unnamed file frees it.
        descriptor.close()
        if let temporaryName { unlinkat(directory.rawValue, temporaryName, 0) }
        directory.close()
    }

    deinit {
        // Every path should discard or commit; if one did not, the
        // pending file must still not outlive this object.
        discard()
    }
}
