import KeyGateSystem
import CKeyGateSystem
import Glibc
import KeyGateSockets
import Synchronization

/// A file being written apart from its target name, and renamed into place
/// only when it is complete (`commit()`): what the server writes for STOR
/// and APPE, and the client for a download (`beginLocal`). The target name
/// never holds half a file (see `PendingFile`, which does the file system
/// part; this adds the blocking lane, the byte count, and the copy of the
/// prefix an append or a resumed transfer keeps).
public final class AtomicFileWriter: Sendable {
    /// Where the bytes wait until the commit.
    public typealias PendingStorage = PendingFile.Storage

    private let pending: PendingFile
    private let targetName: String
    private let io: BlockingLane
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

    private init(pending: PendingFile, targetName: String, io: BlockingLane, path: String) {
        self.pending = pending
        self.targetName = targetName
        self.io = io
        self.path = path
        self.length = Atomic(0)
    }

    /// Whether the pending bytes are in an unnamed file.
    public var isUnnamed: Bool { pending.isUnnamed }

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
        let pending: PendingFile
        do {
            pending = try PendingFile.create(in: directory, prefix: temporaryPrefix, mode: mode ?? 0o644, storage: storage)
        } catch {
            throw .from(errno: error.code, call: error.call, path: path)
        }
        let upload = AtomicFileWriter(pending: pending, targetName: targetName, io: io, path: path)
        do throws(FTPError) {
            if let mode, fchmod(pending.descriptor.rawValue, mode) != 0 {
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

    /// Appends `bytes`, and adds them to `digest` once written (a failed
    /// write spoils it: how much of it reached the file is not known).
    /// - Throws: `FTPError.noSpace`, or another write error.
    public func write(_ bytes: [UInt8], digest: StreamingDigest? = nil) async throws(FTPError) {
        try await io.run { () throws(FTPError) in
            var failure: FTPError?
            bytes.withUnsafeBytes { buffer in
                let offset = self.byteCount
                do throws(FTPError) {
                    try self.writeNow(buffer)
                    digest?.add(buffer, at: offset)
                } catch {
                    digest?.spoil()
                    failure = error
                }
            }
            if let failure { throw failure }
        }
    }

    /// The SHA-256 of the pending file's bytes, kept prefix included (to
    /// verify a download before it takes the target name).
    public func sha256() async throws(FTPError) -> (digest: [UInt8], byteCount: Int64) {
        try await FileDigest.sha256(of: pending.descriptor, io: io, path: path)
    }

    /// A digest of the pending file's bytes so far (the kept prefix), for
    /// the writes that follow to continue (`write(_:digest:)`).
    /// - Throws: `FTPError` when reading the pending file fails.
    public func digestSoFar() async throws(FTPError) -> StreamingDigest {
        try await FileDigest.prefix(of: pending.descriptor, length: byteCount, io: io, path: path)
    }

    /// Flushes the file to disk and renames it over the target name (an
    /// unnamed file is first linked under a hidden name, for the rename).
    /// Returns what the file is once in place (nil if fstat failed).
    /// - Throws: the error of fsync, link or rename; the pending file is
    ///   then removed and the target is untouched.
    @discardableResult
    public func commit() async throws(FTPError) -> FileIdentity? {
        try await io.run { () throws(FTPError) -> FileIdentity? in try self.commitNow() }
    }

    /// Removes the pending file. Idempotent; does nothing after commit.
    public func discard() async {
        await io.run { self.discardNow() }
    }

    // MARK: Blocking parts (on the queue)

    private func writeNow(_ buffer: UnsafeRawBufferPointer) throws(FTPError) {
        do {
            try pending.write(buffer)
        } catch {
            throw .from(errno: error.code, call: error.call, path: path)
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
                count = try SystemCall.runNow({ kernelCopy.copy(source.rawValue, &offset, pending.descriptor.rawValue, wanted) }, failure: Errno.init)
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

    private func commitNow() throws(FTPError) -> FileIdentity? {
        do {
            return try pending.commit(as: targetName).map(FileIdentity.init)
        } catch {
            throw .from(errno: error.code, call: error.call, path: path)
        }
    }

    func discardNow() {
        pending.discard()
    }
}
