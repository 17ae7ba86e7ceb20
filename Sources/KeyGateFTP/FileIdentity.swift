import Glibc

/// Which file, in which state, as `fstat` sees it: device, inode, size,
/// and the modification and status-change times to the nanosecond.
///
/// Any write to a file, and any change to its times or permissions made
/// afterwards (even `utimes` restoring an old modification time), sets
/// its status-change time (ctime) anew, which no caller can choose. So
/// a file with the same identity as before has not been changed in
/// between, and a digest taken of it then still holds (`FileDigestCache`).
public struct FileIdentity: Sendable, Hashable {
    public let device: UInt64
    public let inode: UInt64
    public let size: Int64
    /// Modification time, nanoseconds since 1970.
    public let modifiedNanoseconds: Int64
    /// Status-change time, nanoseconds since 1970.
    public let changedNanoseconds: Int64

    /// The identity `status` describes.
    public init(_ status: stat) {
        device = UInt64(status.st_dev)
        inode = UInt64(status.st_ino)
        size = Int64(status.st_size)
        modifiedNanoseconds = Self.nanoseconds(status.st_mtim)
        changedNanoseconds = Self.nanoseconds(status.st_ctim)
    }

    private static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec)
    }

    /// Whether the file's last change lies far enough back, at `now` (the
    /// file system clock, read after the fstat that gave this identity),
    /// that any change from now on must get a later ctime. File times come
    /// from a clock that ticks every few milliseconds, and some file
    /// systems keep whole or even two-second times, so a change in the
    /// same tick or second as the last one may keep its ctime: a file
    /// changed less than `settlingNanoseconds` ago is not settled ("racily
    /// clean" in git's terms; `FileStamp.isRecent` in KeyGateKeys keeps the
    /// same margin for key files).
    public func isSettled(at now: Int64) -> Bool {
        changedNanoseconds < now - Self.settlingNanoseconds
    }

    /// Two seconds: the coarsest time stamps a file system keeps (FAT).
    public static let settlingNanoseconds: Int64 = 2_000_000_000

    /// The file system clock now (CLOCK_REALTIME_COARSE), in nanoseconds.
    public static func coarseNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME_COARSE, &now)
        return nanoseconds(now)
    }

    /// The identity of the open file `descriptor`; nil when fstat fails.
    /// Blocking: call on a lane.
    static func of(_ descriptor: Int32) -> FileIdentity? {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { return nil }
        return FileIdentity(status)
    }
}
