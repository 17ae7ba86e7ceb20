import KeyGateSystem
import Glibc
import Synchronization

/// The entries of one folder (or the one entry of a file), read a batch at
/// a time on the session's `BlockingLane`, so that a folder of any size is
/// listed with bounded memory.
///
/// The folder is read with readdir(3), which fetches the kernel's entries
/// with getdents64(2) a buffer at a time, from a descriptor that
/// `FileStore` opened by walking the path with `openat(O_NOFOLLOW)`; each
/// entry is examined with `fstatat(AT_SYMLINK_NOFOLLOW)` relative to that
/// descriptor, so links are reported, never followed. `.`, `..` and the
/// server's upload files are left out, and so is an entry removed between
/// readdir and fstatat.
///
/// A folder whose entries all fit in the first batch is listed sorted by
/// name; a larger one comes in the file system's order, since sorting it
/// would mean holding all of it.
public final class DirectoryListing: Sendable {
    /// Entries read and formatted at a time: about 100 KiB of LIST text.
    public static let batchEntryCount = 1024

    /// How a listing command writes one entry.
    public enum Format: Sendable {
        /// NLST: the name alone.
        case names
        /// MLSD: an RFC 3659 fact line.
        case facts
        /// LIST: an `ls -l` line, dates relative to `now` (seconds since 1970).
        case long(now: Int)

        /// The line for `entry`, without its line end.
        public func line(for entry: FileInfo) -> String {
            switch self {
            case .names: return entry.name
            case .facts: return entry.factLine()
            case let .long(now): return entry.listLine(now: now)
            }
        }
    }

    /// A `DIR *` from fdopendir(3).
    ///
    /// `@unchecked Sendable` at the C boundary: the pointer is used only
    /// on the listing's `BlockingLane` and under its lock, and closed once.
    private struct Stream: @unchecked Sendable {
        let pointer: OpaquePointer
    }

    private struct State: Sendable {
        /// The open folder; nil once it has been read to its end or closed.
        var stream: Stream?
        /// Entries read ahead (the first batch), not yet handed out.
        var pending: [FileInfo]
    }

    private let state: Mutex<State>
    private let io: BlockingLane
    /// The path for messages.
    public let path: String

    private init(stream: OpaquePointer?, pending: [FileInfo], io: BlockingLane, path: String) {
        state = Mutex(State(stream: stream.map(Stream.init), pending: pending))
        self.io = io
        self.path = path
    }

    /// The listing of a file: its one entry.
    static func single(_ entry: FileInfo, io: BlockingLane, path: String) -> DirectoryListing {
        DirectoryListing(stream: nil, pending: [entry], io: io, path: path)
    }

    /// Starts listing the folder `folder` (which the listing then owns; a
    /// fresh descriptor from `openat`, at position 0) and reads its first
    /// batch. Blocking: call on the lane. On failure `folder` is closed.
    static func open(folder: FileDescriptor, io: BlockingLane, path: String) throws(FTPError) -> DirectoryListing {
        // fdopendir takes the descriptor over and closedir closes it: the
        // stream gets a duplicate, and `folder` is closed here.
        let duplicate = dup(folder.rawValue)
        let code = errno
        folder.close()
        guard duplicate >= 0 else { throw .from(errno: code, call: "dup", path: path) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            Glibc.close(duplicate)
            throw .from(errno: code, call: "opendir", path: path)
        }
        let first: [FileInfo]
        var atEnd = false
        do throws(FTPError) {
            first = try readBatch(from: stream, path: path, atEnd: &atEnd)
        } catch {
            closedir(stream)
            throw error
        }
        guard atEnd else { return DirectoryListing(stream: stream, pending: first, io: io, path: path) }
        closedir(stream)
        return DirectoryListing(stream: nil, pending: first.sorted { $0.name < $1.name }, io: io, path: path)
    }

    /// Every entry of the folder `folder` (a fresh descriptor at position
    /// 0, which stays open and the caller's), links not followed, `.`,
    /// `..` and upload files left out: for walks that run whole inside one
    /// job of a lane (a quota's sum, a local tree). Blocking.
    public static func allEntries(of folder: FileDescriptor, path: String) throws(FTPError) -> [FileInfo] {
        let duplicate = dup(folder.rawValue)
        guard duplicate >= 0 else { throw .from(errno: errno, call: "dup", path: path) }
        guard let stream = fdopendir(duplicate) else {
            let code = errno
            Glibc.close(duplicate)
            throw .from(errno: code, call: "opendir", path: path)
        }
        defer { closedir(stream) }
        var entries: [FileInfo] = []
        var atEnd = false
        while !atEnd {
            entries += try readBatch(from: stream, path: path, atEnd: &atEnd)
        }
        return entries
    }

    /// The next entries, at most `batchEntryCount`; empty at the end.
    /// - Throws: `FTPError` when the folder cannot be read.
    public func next() async throws(FTPError) -> [FileInfo] {
        try await io.run { () throws(FTPError) -> [FileInfo] in try self.nextNow() }
    }

    /// The next entries formatted as `format` says, each line ended by
    /// CRLF, at most `batchEntryCount` of them; empty at the end.
    /// Formatting runs on the lane too, off the cooperative threads.
    /// - Throws: `FTPError` when the folder cannot be read.
    public func nextText(_ format: Format) async throws(FTPError) -> [UInt8] {
        try await io.run { () throws(FTPError) -> [UInt8] in
            var text: [UInt8] = []
            for entry in try self.nextNow() {
                text += format.line(for: entry).utf8
                text += [13, 10]
            }
            return text
        }
    }

    /// Closes the folder. Idempotent.
    public func close() async {
        await io.run { self.closeNow() }
    }

    // MARK: Blocking parts (on the lane)

    private func nextNow() throws(FTPError) -> [FileInfo] {
        try state.withLock { (state: inout State) throws(FTPError) -> [FileInfo] in
            if !state.pending.isEmpty {
                defer { state.pending = [] }
                return state.pending
            }
            guard let stream = state.stream?.pointer else { return [] }
            var atEnd = false
            let batch: [FileInfo]
            do throws(FTPError) {
                batch = try Self.readBatch(from: stream, path: path, atEnd: &atEnd)
            } catch {
                closedir(stream)
                state.stream = nil
                throw error
            }
            if atEnd {
                closedir(stream)
                state.stream = nil
            }
            return batch
        }
    }

    /// Reads entries until it has `batchEntryCount` of them or the folder
    /// ends (`atEnd` is then set).
    private static func readBatch(from stream: OpaquePointer, path: String, atEnd: inout Bool) throws(FTPError) -> [FileInfo] {
        var batch: [FileInfo] = []
        batch.reserveCapacity(batchEntryCount)
        let folder = dirfd(stream)
        while batch.count < batchEntryCount {
            // readdir returns NULL both at the end and on an error; only
            // errno tells them apart.
            errno = 0
            guard let entry = readdir(stream) else {
                if errno != 0 { throw .from(errno: errno, call: "readdir", path: path) }
                atEnd = true
                break
            }
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." || name.hasPrefix(FTPPath.reservedPrefix) { continue }
            var status = stat()
            // Gone since readdir: skip it.
            guard fstatat(folder, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
            batch.append(FileInfo(name: name, status: status))
        }
        return batch
    }

    private func closeNow() {
        state.withLock { state in
            if let stream = state.stream { closedir(stream.pointer) }
            state.stream = nil
            state.pending = []
        }
    }

    deinit {
        // Every path should close the listing; if one did not, the folder
        // must still not stay open.
        closeNow()
    }
}
