import KeyGateSystem
import CKeyGateSystem
import Glibc
import KeyGateSockets
import Synchronization

/// A file being written apart from its target name, and renamed into place
/// only when it is complete (`commit()`): what the server writes for STOR
/// and APPE, and the client for a download (`beginLocal`). The target name
/// never holds half a file: readers see the old file or the new one, and
/// of two writers to one name one complete file wins (rename(2) is atomic).
///
/// The bytes wait in an unnamed file (O_TMPFILE) where the file system
/// allows it: nothing shows in the folder, and if the process dies, even
/// by `kill -9`, the kernel frees the file and nothing is left behind.
/// Elsewhere they wait in a hidden `<prefix><random>` file in the target
/// folder. `discard()` (or, as a last resort, releasing the object) removes
/// the pending bytes either way.
public final class AtomicFileWriter: Sendable {
    /// Where the bytes wait until the commit.
    public enum PendingStorage: Sendable {
        /// An unnamed file, falling back to `.named` where the file system
        /// or a missing /proc does not allow one.
        case unnamedWherePossible
        /// A hidden file named `<prefix><random>` in the target folder.
        case named
    }

    private enum Phase {
        case writing, committed, discarded
    }

    private let directory: FileDescriptor
    private let file: FileDescriptor
    /// The pending file's name in `directory`; nil for an unnamed file.
    private let temporaryName: String?
    private let temporaryPrefix: String
    private let targetName: String
    private let io: BlockingLane
    private let phase = Mutex(Phase.writing)
    /// The path for messages.
    public let path: String
    /// Bytes in the pending file: the kept prefix plus what was written.
    private let length: Atomic<Int64>
    /// How the kept prefix got into the pending file.
    private let prefixCopy = Mutex(PrefixCopy())

    /// How the existing bytes that an upload keeps (APPE, STOR after REST,
    /// a resumed download) were copied into its pending file.
    struct PrefixCopy: Sendable, Equatable {
        /// Copied inside the kernel by copy_file_range(2).
        var inKernel: Int64 = 0
        /// Read into this process and written back: the fallback where
        /// the kernel or the file systems cannot copy.
        var throughUserSpace: Int64 = 0
    }

    /// The system call that copies a range of one file to another inside
    /// the kernel (copy_file_range(2)); tests replace it to force the
    /// fallback.
    struct KernelCopy: Sendable {
        /// Copies up to `count` bytes from `source` at `offset` (advanced
        /// by what was copied) to `destination` at its position; returns
        /// the count (0 at the end of `source`), or -1 with errno set.
        let copy: @Sendable (_ source: Int32, _ offset: inout Int64, _ destination: Int32, _ count: Int) -> Int

        static let copyFileRange = KernelCopy { source, offset, destination, count in
            ckg_copy_file_range(source, &offset, destination, count)
        }

        /// The errors of copy_file_range(2) that mean "not here" (an old
        /// kernel, two file systems, one that cannot): copy through user
        /// space instead. ENOTSUP is EOPNOTSUPP on Linux.
        static let unavailableErrors: Set<Int32> = [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL]
    }

    private init(
        directory: FileDescriptor, file: FileDescriptor, temporaryName: String?, temporaryPrefix: String,
        targetName: String, io: BlockingLane, path: String
    ) {
        self.directory = directory
        self.file = file
        self.temporaryName = temporaryName
        self.temporaryPrefix = temporaryPrefix
        self.targetName = targetName
        self.io = io
        self.path = path
        self.length = Atomic(0)
    }

    /// Whether the pending bytes are in an unnamed file.
    public var isUnnamed: Bool { temporaryName == nil }

    /// The size the file will have if committed now.
    public var byteCount: Int64 { length.load(ordering: .relaxed) }

    /// How the kept prefix was copied.
    var prefixCopied: PrefixCopy { prefixCopy.withLock { $0 } }

    /// Opens the pending file in `directory` (which the upload then owns)
    /// and copies the first `prefixLength` bytes of `prefixSource` into it
    /// (APPE, and STOR after REST), inside the kernel where it can
    /// (`kernelCopy`). Blocking: call on the queue. On failure `directory`
    /// is closed and nothing is left.
    /// - Parameter mode: the file's exact permissions, set with fchmod
    ///   after the open (which applied the process's umask); nil leaves
    ///   0644 less the process's umask.
    static func begin(
        in directory: FileDescriptor, targetName: String, temporaryPrefix: String,
        prefixSource: FileDescriptor?, prefixLength: Int64, io: BlockingLane, path: String,
        mode: mode_t? = nil, storage: PendingStorage = .unnamedWherePossible, kernelCopy: KernelCopy = .copyFileRange
    ) throws(FTPError) -> AtomicFileWriter {
        var temporaryName: String?
        var raw: Int32 = -1
        let openMode = mode ?? 0o644
        if storage == .unnamedWherePossible && processFileLinksExist {
            raw = ckg_open_unnamed_file(directory.rawValue, openMode)
        }
        if raw < 0 {
            for _ in 0..<16 {
                let name = randomName(prefix: temporaryPrefix)
                temporaryName = name
                raw = openat(directory.rawValue, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, openMode)
                if raw >= 0 || errno != EEXIST { break }
            }
        }
        guard raw >= 0 else {
            let code = errno
            directory.close()
            throw .from(errno: code, call: "open", path: path)
        }
        let upload = AtomicFileWriter(
            directory: directory, file: FileDescriptor(adopting: raw), temporaryName: temporaryName,
            temporaryPrefix: temporaryPrefix, targetName: targetName, io: io, path: path)
        do throws(FTPError) {
            if let mode, fchmod(raw, mode) != 0 {
                throw .from(errno: errno, call: "chmod", path: path)
            }
            if let prefixSource, prefixLength > 0 {
                try upload.copyPrefix(from: prefixSource, length: prefixLength, kernelCopy: kernelCopy)
            }
        } catch {
            upload.discardNow()
            throw error
        }
        return upload
    }

    /// An unnamed file gets its name through its /proc/self/fd link.
    private static let processFileLinksExist = access("/proc/self/fd", X_OK) == 0

    private static func randomName(prefix: String) -> String {
        prefix + String(UInt64.random(in: 0...UInt64.max), radix: 16)
    }

    /// Starts writing `targetName` in the local folder `directory` (a
    /// client's download), apart from the target name until `commit()`.
    /// With `keepExisting`, the file already under the target name (if
    /// any) is copied first and the new bytes follow it (a resumed
    /// download).
    public static func beginLocal(
        directory: String, targetName: String, keepExisting: Bool, io: BlockingLane,
        storage: PendingStorage = .unnamedWherePossible
    ) async throws(FTPError) -> AtomicFileWriter {
        try await beginLocal(
            directory: directory, targetName: targetName, keepExisting: keepExisting, io: io, storage: storage,
            kernelCopy: .copyFileRange)
    }

    /// `beginLocal` with the kernel copy given (tests force its fallback).
    static func beginLocal(
        directory: String, targetName: String, keepExisting: Bool, io: BlockingLane,
        storage: PendingStorage = .unnamedWherePossible, kernelCopy: KernelCopy
    ) async throws(FTPError) -> AtomicFileWriter {
        let path = directory == "." ? targetName : directory + "/" + targetName
        return try await io.run { () throws(FTPError) -> AtomicFileWriter in
            let raw = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard raw >= 0 else { throw .from(errno: errno, call: "open", path: directory) }
            let folder = FileDescriptor(adopting: raw)
            var existing: FileDescriptor?
            defer { existing?.close() }
            var existingSize: Int64 = 0
            if keepExisting {
                let file = openat(folder.rawValue, targetName, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
                if file >= 0 {
                    existing = FileDescriptor(adopting: file)
                    var status = stat()
                    guard fstat(file, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
                        folder.close()
                        throw .notARegularFile(path)
                    }
                    existingSize = Int64(status.st_size)
                }
            }
            return try begin(
                in: folder, targetName: targetName, temporaryPrefix: ".keygate-download-", prefixSource: existing,
                prefixLength: existingSize, io: io, path: path, storage: storage, kernelCopy: kernelCopy)
        }
    }

    /// Appends `bytes`.
    /// - Throws: `FTPError.noSpace`, or another write error.
    public func write(_ bytes: [UInt8]) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            var failure: FTPError?
            bytes.withUnsafeBytes { buffer in
                do throws(FTPError) {
                    try self.writeNow(buffer)
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
    }

    /// Flushes the file to disk and renames it over the target name (an
    /// unnamed file is first linked under a hidden name, for the rename).
    /// - Throws: the error of fsync, link or rename; the pending file is
    ///   then removed and the target is untouched.
    public func commit() async throws(FTPError) {
        try await io.run { () throws(FTPError) in try self.commitNow() }
    }

    /// Removes the pending file. Idempotent; does nothing after commit.
    public func discard() async {
        await io.run { self.discardNow() }
    }

    // MARK: Blocking parts (on the queue)

    private func writeNow(_ buffer: UnsafeRawBufferPointer) throws(FTPError) {
        if let code = BlockingWrite.all(buffer, to: file.rawValue) {
            throw .from(errno: code, call: "write", path: path)
        }
        length.add(Int64(buffer.count), ordering: .relaxed)
    }

    /// Copies the first `prefixLength` bytes of `source` to the pending
    /// file: inside the kernel with copy_file_range(2) (no byte passes
    /// through this process, and file systems with reflinks share the
    /// blocks), or, where the kernel says it cannot, through a buffer.
    private func copyPrefix(from source: FileDescriptor, length prefixLength: Int64, kernelCopy: KernelCopy) throws(FTPError) {
        var copied: Int64 = 0
        while copied < prefixLength {
            var offset = copied
            let wanted = Int(min(Int64(Self.kernelCopyPieceLength), prefixLength - copied))
            let count: Int
            do {
                count = try SystemCall.runNow({ kernelCopy.copy(source.rawValue, &offset, file.rawValue, wanted) }, failure: Errno.init)
            } catch {
                // The destination's position is where the copy stopped: the
                // fallback writes on from there.
                guard KernelCopy.unavailableErrors.contains(error.code) else {
                    throw .from(errno: error.code, call: "copy_file_range", path: path)
                }
                break
            }
            // The end of the source (it shrank since it was measured), or
            // a file system that copies nothing for some files: reading on
            // tells which.
            if count == 0 { break }
            copied += Int64(count)
            length.add(Int64(count), ordering: .relaxed)
            prefixCopy.withLock { $0.inKernel += Int64(count) }
        }
        try copyPrefixThroughUserSpace(from: source, startingAt: copied, length: prefixLength)
    }

    /// What one copy_file_range(2) call is asked for (Linux copies at
    /// most about 2 GiB a call anyway).
    private static let kernelCopyPieceLength = 1 << 30

    private func copyPrefixThroughUserSpace(from source: FileDescriptor, startingAt start: Int64, length prefixLength: Int64) throws(FTPError) {
        let pieceLength = 1 << 20
        var copied = start
        guard copied < prefixLength else { return }
        var buffer = [UInt8](repeating: 0, count: pieceLength)
        while copied < prefixLength {
            let wanted = Int(min(Int64(pieceLength), prefixLength - copied))
            let count = try SystemCall.runNow({ buffer.withUnsafeMutableBytes { pread(source.rawValue, $0.baseAddress!, wanted, off_t(copied)) } }) {
                FTPError.from(errno: $0, call: "read", path: path)
            }
            // The file shrank since it was measured: keep what is there.
            if count == 0 { break }
            var failure: FTPError?
            buffer.withUnsafeBytes { bytes in
                do throws(FTPError) {
                    try writeNow(UnsafeRawBufferPointer(rebasing: bytes[0..<count]))
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            copied += Int64(count)
            prefixCopy.withLock { $0.throughUserSpace += Int64(count) }
        }
    }

    private func commitNow() throws(FTPError) {
        let mayCommit = phase.withLock { phase in
            guard phase == .writing else { return false }
            phase = .committed
            return true
        }
        guard mayCommit else { throw .system(call: "rename", errno: EBADF, path: path) }
        var failure: FTPError?
        var pendingName = temporaryName
        if fsync(file.rawValue) != 0 {
            failure = .from(errno: errno, call: "fsync", path: path)
        } else if pendingName == nil {
            do throws(FTPError) {
                pendingName = try linkUnnamedFile()
            } catch {
                failure = error
            }
        }
        file.close()
        if failure == nil, let pendingName, renameat(directory.rawValue, pendingName, directory.rawValue, targetName) != 0 {
            failure = .from(errno: errno, call: "rename", path: path)
        }
        if let failure {
            if let pendingName { unlinkat(directory.rawValue, pendingName, 0) }
            directory.close()
            throw failure
        }
        // The rename itself is durable once the folder is flushed.
        fsync(directory.rawValue)
        directory.close()
    }

    /// Gives the unnamed file a hidden name in its folder, for the rename
    /// over the target (rename(2) needs a name; linkat(2) will not replace
    /// one). The name exists only for the instant before the rename.
    private func linkUnnamedFile() throws(FTPError) -> String {
        let link = "/proc/self/fd/\(file.rawValue)"
        for _ in 0..<16 {
            let name = Self.randomName(prefix: temporaryPrefix)
            if linkat(AT_FDCWD, link, directory.rawValue, name, AT_SYMLINK_FOLLOW) == 0 { return name }
            if errno != EEXIST { throw .from(errno: errno, call: "link", path: path) }
        }
        throw .from(errno: EEXIST, call: "link", path: path)
    }

    func discardNow() {
        let shouldDiscard = phase.withLock { phase in
            guard phase == .writing else { return false }
            phase = .discarded
            return true
        }
        guard shouldDiscard else { return }
        // Closing the last descriptor of an unnamed file frees it.
        file.close()
        if let temporaryName { unlinkat(directory.rawValue, temporaryName, 0) }
        directory.close()
    }

    deinit {
        // Every path should discard or commit; if one did not, the
        // pending file must still not outlive the upload.
        discardNow()
    }
}
