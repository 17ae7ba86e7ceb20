import Glibc

/// What identifies one version of a file: if any field differs, the file
/// may have changed and is read again.
///
/// Size and modification time (nanoseconds) catch edits in place; device and
/// inode catch a file replaced by rename (as editors and `KeyGate` itself
/// write); the change time catches a `chmod` that makes a file readable again.
struct FileStamp: Equatable, Sendable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: timespec
    var changed: timespec

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim
        changed = info.st_ctim
    }

    /// Whether the file was modified less than `seconds` before `now`, or
    /// claims a time in the future.
    ///
    /// The kernel stamps files with a clock that advances in ticks of a few
    /// milliseconds, so a second write of the same size within one tick keeps
    /// the stamp. A file read that recently is read again on the next check
    /// (the "racy clean" rule of git's index).
    func isRecent(now: timespec, seconds: Int = 2) -> Bool {
        Int(modified.tv_sec) > Int(now.tv_sec) - seconds
    }

    static func == (lhs: FileStamp, rhs: FileStamp) -> Bool {
        lhs.device == rhs.device && lhs.inode == rhs.inode && lhs.size == rhs.size
            && lhs.modified.tv_sec == rhs.modified.tv_sec && lhs.modified.tv_nsec == rhs.modified.tv_nsec
            && lhs.changed.tv_sec == rhs.changed.tv_sec && lhs.changed.tv_nsec == rhs.changed.tv_nsec
    }
}
