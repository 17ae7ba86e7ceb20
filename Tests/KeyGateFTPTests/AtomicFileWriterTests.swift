import KeyGateSystem
import Glibc
import KeyGateCrypto
@testable import KeyGateFTP
import KeyGateTestSupport
import Synchronization
import Testing

/// Uploads land whole or not at all, and never leave a temporary file.
struct AtomicFileWriterTests {
    static func folder() -> TemporaryDirectory { TemporaryDirectory("keygate-upload-test") }

    static let storages: [AtomicFileWriter.PendingStorage] = [.unnamedWherePossible, .named]

    @Test(arguments: storages)
    func aCommittedUploadReplacesTheTargetInOneStep(storage: AtomicFileWriter.PendingStorage) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("target"), Array("old".utf8))
        let io = BlockingExecutor.shared.lane()
        let upload = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "target", keepExisting: false, io: io, storage: storage)
        try await upload.write(Array("new ".utf8))
        // Until the commit, readers see the old file.
        #expect(readFile(folder.appending("target")) == Array("old".utf8))
        #expect(directoryEntries(folder.path).count == (upload.isUnnamed ? 1 : 2))
        try await upload.write(Array("content".utf8))
        try await upload.commit()
        #expect(readFile(folder.appending("target")) == Array("new content".utf8))
        #expect(directoryEntries(folder.path) == ["target"])
    }

    @Test(arguments: storages)
    func aDiscardedOrForgottenUploadLeavesNothing(storage: AtomicFileWriter.PendingStorage) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let io = BlockingExecutor.shared.lane()
        let discarded = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "a", keepExisting: false, io: io, storage: storage)
        try await discarded.write([1, 2, 3])
        await discarded.discard()
        await discarded.discard()
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
        // Released without commit or discard: the last reference removes it.
        var forgotten: AtomicFileWriter? = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "b", keepExisting: false, io: io, storage: storage)
        try await forgotten?.write([4])
        #expect(directoryEntries(folder.path).count == (storage == .named ? 1 : 0))
        forgotten = nil
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
    }

    /// A process killed mid-upload cannot clean up; an unnamed file needs
    /// no cleaning: it is nowhere in the folder, only open.
    @Test func pendingBytesHaveNoNameInTheFolderUntilTheCommit() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let upload = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "target", keepExisting: false, io: BlockingExecutor.shared.lane())
        #expect(upload.isUnnamed, "the file system of /tmp supports O_TMPFILE")
        try await upload.write([UInt8](repeating: 7, count: 1000))
        #expect(directoryEntries(folder.path) == [])
        #expect(unnamedOpenFileSizes(in: folder.path) == [1000])
        try await upload.commit()
        #expect(directoryEntries(folder.path) == ["target"])
        #expect(readFile(folder.appending("target")) == [UInt8](repeating: 7, count: 1000))
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
    }

    @Test func keepingTheExistingBytesAppendsAfterThem() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        try writeFile(folder.appending("partial"), Array("first half, ".utf8))
        let upload = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "partial", keepExisting: true, io: BlockingExecutor.shared.lane())
        #expect(upload.byteCount == 12)
        try await upload.write(Array("second half".utf8))
        try await upload.commit()
        #expect(readFile(folder.appending("partial")) == Array("first half, second half".utf8))
    }

    // MARK: Keeping the existing bytes

    /// Writes `count` random bytes to `path` and returns them. Fixtures
    /// are made, written, read and compared on a thread of their own, and
    /// without byte loops, which a debug build runs slowly.
    static func writeRandom(_ count: Int, to path: String) async throws -> [UInt8] {
        try await onFileThread {
            let bytes = SecureRandom.bytes(count: count)
            try writeFile(path, bytes)
            return bytes
        }
    }

    /// Whether the file `path` holds exactly `expected`.
    static func holds(_ path: String, _ expected: [UInt8]) async throws -> Bool {
        try await onFileThread {
            guard let found = readFile(path), found.count == expected.count else { return false }
            guard !found.isEmpty else { return true }
            return found.withUnsafeBytes { a in
                expected.withUnsafeBytes { b in memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
            }
        }
    }

    @Test func theExistingBytesAreCopiedInsideTheKernel() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let size = 3 << 20
        let existing = try await Self.writeRandom(size, to: folder.appending("partial"))
        let upload = try await AtomicFileWriter.beginLocal(
            directory: folder.path, targetName: "partial", keepExisting: true, io: BlockingExecutor.shared.lane())
        #expect(upload.prefixCopied == AtomicFileWriter.PrefixCopy(inKernel: Int64(size), throughUserSpace: 0))
        #expect(upload.byteCount == Int64(size))
        try await upload.write(Array("tail".utf8))
        try await upload.commit()
        #expect(try await Self.holds(folder.appending("partial"), existing + Array("tail".utf8)))
    }

    /// The errors after which the copy goes on through user space, from
    /// the start or after part of it was copied in the kernel.
    @Test(arguments: [EXDEV, ENOSYS, EOPNOTSUPP, EINVAL])
    func whereTheKernelCannotCopyTheBytesGoThroughUserSpace(code: Int32) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let size = (2 << 20) + 12345
        for copiedFirst in [0, (1 << 20) + 7] {
            let existing = try await Self.writeRandom(size, to: folder.appending("partial"))
            let calls = CallCount()
            // The real call for the first `copiedFirst` bytes, then `code`.
            let failing = AtomicFileWriter.KernelCopy { source, offset, destination, count in
                calls.add()
                guard offset < Int64(copiedFirst) else {
                    errno = code
                    return -1
                }
                return AtomicFileWriter.KernelCopy.copyFileRange.copy(
                    source, &offset, destination, min(count, copiedFirst - Int(offset)))
            }
            let upload = try await AtomicFileWriter.beginLocal(
                directory: folder.path, targetName: "partial", keepExisting: true, io: BlockingExecutor.shared.lane(), kernelCopy: failing)
            #expect(calls.value >= 1, "the kernel copy was tried first")
            #expect(upload.prefixCopied == AtomicFileWriter.PrefixCopy(
                inKernel: Int64(copiedFirst), throughUserSpace: Int64(size - copiedFirst)))
            try await upload.write(Array("tail".utf8))
            try await upload.commit()
            #expect(try await Self.holds(folder.appending("partial"), existing + Array("tail".utf8)))
        }
    }

    @Test func anotherKernelCopyErrorFailsTheUploadAndLeavesNothing() async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let existing = try await Self.writeRandom(100_000, to: folder.appending("partial"))
        let failing = AtomicFileWriter.KernelCopy { _, _, _, _ in
            errno = EIO
            return -1
        }
        await #expect(throws: FTPError.system(call: "copy_file_range", errno: EIO, path: folder.appending("partial"))) {
            try await AtomicFileWriter.beginLocal(
                directory: folder.path, targetName: "partial", keepExisting: true, io: BlockingExecutor.shared.lane(), kernelCopy: failing)
        }
        #expect(directoryEntries(folder.path) == ["partial"])
        #expect(unnamedOpenFileSizes(in: folder.path) == [])
        #expect(try await Self.holds(folder.appending("partial"), existing))
    }

    // MARK: Modes

    /// The mode is set after the open, so the process's umask (022 when
    /// the tests run) takes nothing away: 0666 stays 0666.
    @Test(arguments: storages)
    func thePendingFileGetsExactlyTheModeAsked(storage: AtomicFileWriter.PendingStorage) async throws {
        let folder = Self.folder()
        defer { folder.remove() }
        let path = folder.path
        for mode: mode_t in [0o666, 0o600, 0o640] {
            let io = BlockingExecutor.shared.lane()
            let upload = try await io.run { () throws(FTPError) -> AtomicFileWriter in
                let raw = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                guard raw >= 0 else { throw .from(errno: errno, call: "open", path: path) }
                return try AtomicFileWriter.begin(
                    in: FileDescriptor(adopting: raw), targetName: "file", temporaryPrefix: ".pending-",
                    prefixSource: nil, prefixLength: 0, io: io, path: "file", mode: mode, storage: storage)
            }
            try await upload.write([1, 2, 3])
            try await upload.commit()
            let found = try await onFileThread { () throws -> mode_t in
                var status = stat()
                guard lstat(path + "/file", &status) == 0 else { throw FixtureError(path: path + "/file", errno: errno) }
                return status.st_mode & 0o7777
            }
            #expect(found == mode, "asked \(String(mode, radix: 8)), got \(String(found, radix: 8))")
        }
    }

    /// How often a kernel copy was tried.
    final class CallCount: Sendable {
        private let count = Mutex(0)
        func add() { count.withLock { $0 += 1 } }
        var value: Int { count.withLock { $0 } }
    }

    @Test func aMissingFolderIsAnErrorThatSaysSo() async {
        await #expect(throws: FTPError.notFound("/nonexistent/folder")) {
            try await AtomicFileWriter.beginLocal(directory: "/nonexistent/folder", targetName: "x", keepExisting: false, io: BlockingExecutor.shared.lane())
        }
    }
}

