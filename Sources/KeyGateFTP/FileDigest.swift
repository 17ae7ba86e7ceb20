import KeyGateSystem
import KeyGateCrypto
import Glibc

/// The SHA-256 of an open file (or of its first bytes, for a
/// `StreamingDigest` that a resumed transfer continues), read on a
/// `BlockingLane` (never on the cooperative pool) with bounded memory:
/// one buffer of `pieceByteCount` bytes per job, and a job hashes at most
/// `jobByteCount` bytes before the lane takes the next job, so a large
/// file does not hold a worker thread for long.
public enum FileDigest {
    /// The bytes read into memory at a time.
    static let pieceByteCount = 1 << 20
    /// The bytes one lane job hashes.
    static let jobByteCount = 16 << 20

    /// The digest of what `descriptor` holds now, and how many bytes that
    /// is (the file's size when the end was reached).
    /// - Throws: `FTPError` when reading fails.
    public static func sha256(
        of descriptor: FileDescriptor, io: BlockingLane, path: String
    ) async throws(FTPError) -> (digest: [UInt8], byteCount: Int64) {
        var (hasher, position) = try await hash(descriptor, upTo: nil, io: io, path: path)
        return (hasher.finalize(), position)
    }

    /// A digest of the first `length` bytes of `descriptor`, to be
    /// continued by a transfer from offset `length` on.
    /// - Throws: `FTPError` when reading fails;
    ///   `FTPError.invalidRestartPosition` when the file ends before
    ///   `length` (it shrank since it was measured).
    public static func prefix(
        of descriptor: FileDescriptor, length: Int64, io: BlockingLane, path: String
    ) async throws(FTPError) -> StreamingDigest {
        let (hasher, position) = try await hash(descriptor, upTo: length, io: io, path: path)
        guard position == length else { throw .invalidRestartPosition(path: path, offset: length, size: position) }
        return StreamingDigest(continuing: hasher, byteCount: length)
    }

    /// Hashes from the start to `limit` (nil: to the end) in lane jobs.
    private static func hash(
        _ descriptor: FileDescriptor, upTo limit: Int64?, io: BlockingLane, path: String
    ) async throws(FTPError) -> (SHA256Hasher, Int64) {
        var hasher = SHA256Hasher()
        var position: Int64 = 0
        var atEnd = limit == 0
        while !atEnd {
            let start = position, before = hasher
            (hasher, position, atEnd) = try await io.run { () throws(FTPError) -> (SHA256Hasher, Int64, Bool) in
                try hashJob(descriptor: descriptor, hasher: before, from: start, limit: limit, path: path)
            }
        }
        return (hasher, position)
    }

    /// Hashes up to `jobByteCount` bytes from `start`, stopping at `limit`.
    /// Blocking.
    private static func hashJob(
        descriptor: FileDescriptor, hasher: SHA256Hasher, from start: Int64, limit: Int64?, path: String
    ) throws(FTPError) -> (SHA256Hasher, Int64, Bool) {
        var hasher = hasher
        var position = start
        var buffer = [UInt8](repeating: 0, count: pieceByteCount)
        while position - start < Int64(jobByteCount) {
            let wanted = limit.map { Int(min(Int64(pieceByteCount), $0 - position)) } ?? pieceByteCount
            if wanted == 0 { return (hasher, position, true) }
            let count = try SystemCall.runNow({
                buffer.withUnsafeMutableBytes { pread(descriptor.rawValue, $0.baseAddress!, wanted, off_t(position)) }
            }) { FTPError.from(errno: $0, call: "read", path: path) }
            if count == 0 { return (hasher, position, true) }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[..<count])) }
            position += Int64(count)
        }
        return (hasher, position, false)
    }
}
