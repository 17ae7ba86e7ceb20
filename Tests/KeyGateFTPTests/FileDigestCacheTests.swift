import KeyGateSystem
import Glibc
@testable import KeyGateFTP
import KeyGateTestSupport
import Testing

/// Digests kept under a file's identity: found for exactly that file in
/// exactly that state, and never more than the bound.
struct FileDigestCacheTests {
    static func identity(inode: UInt64, size: Int64 = 10, modified: Int64 = 1, changed: Int64 = 2) -> FileIdentity {
        var status = stat()
        status.st_dev = 7
        status.st_ino = __ino_t(inode)
        status.st_size = Int(size)
        status.st_mtim = timespec(tv_sec: Int(modified / 1_000_000_000), tv_nsec: Int(modified % 1_000_000_000))
        status.st_ctim = timespec(tv_sec: Int(changed / 1_000_000_000), tv_nsec: Int(changed % 1_000_000_000))
        return FileIdentity(status)
    }

    static func digest(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }

    /// A file system clock long after every ctime these identities have.
    static let later: Int64 = 100_000_000_000

    @Test func aDigestIsFoundOnlyForTheSameFileInTheSameState() {
        var cache = FileDigestCache()
        let kept = Self.identity(inode: 1, size: 10, modified: 5_000_000_123, changed: 6_000_000_456)
        cache.remember(Self.digest(1), for: kept, now: Self.later)
        #expect(cache.take(for: kept) == Self.digest(1))
        #expect(cache.take(for: Self.identity(inode: 1, size: 10, modified: 5_000_000_123, changed: 6_000_000_457)) == nil,
                "one nanosecond of ctime")
        #expect(cache.take(for: Self.identity(inode: 1, size: 11, modified: 5_000_000_123, changed: 6_000_000_456)) == nil)
        #expect(cache.take(for: Self.identity(inode: 1, size: 10, modified: 5_000_000_124, changed: 6_000_000_456)) == nil)
        #expect(cache.take(for: Self.identity(inode: 2, size: 10, modified: 5_000_000_123, changed: 6_000_000_456)) == nil)
    }

    @Test func aNewDigestOfAFileReplacesTheOldOne() {
        var cache = FileDigestCache()
        cache.remember(Self.digest(1), for: Self.identity(inode: 1, changed: 2), now: Self.later)
        cache.remember(Self.digest(2), for: Self.identity(inode: 1, changed: 3), now: Self.later)
        #expect(cache.count == 1)
        #expect(cache.take(for: Self.identity(inode: 1, changed: 2)) == nil)
        #expect(cache.take(for: Self.identity(inode: 1, changed: 3)) == Self.digest(2))
    }

    @Test func pastItsBoundTheOldestGoes() {
        var cache = FileDigestCache(capacity: 3)
        for inode in UInt64(1)...5 { cache.remember(Self.digest(UInt8(inode)), for: Self.identity(inode: inode), now: Self.later) }
        #expect(cache.count == 3)
        #expect(cache.take(for: Self.identity(inode: 1)) == nil)
        #expect(cache.take(for: Self.identity(inode: 2)) == nil)
        #expect((3...5).allSatisfy { cache.take(for: Self.identity(inode: UInt64($0))) == Self.digest(UInt8($0)) })
        #expect(FileDigestCache().capacity == 64)
    }

    /// A digest recorded less than two seconds after the file's last change
    /// answers once; one recorded later, every time.
    @Test func anUnsettledDigestAnswersOnce() {
        var cache = FileDigestCache()
        let recent = Self.identity(inode: 1, changed: 10_000_000_000)
        cache.remember(Self.digest(1), for: recent, now: 11_999_999_999)
        #expect(cache.take(for: recent) == Self.digest(1))
        #expect(cache.take(for: recent) == nil, "used up")
        #expect(cache.count == 0)
        let settled = Self.identity(inode: 2, changed: 10_000_000_000)
        cache.remember(Self.digest(2), for: settled, now: 12_000_000_001)
        #expect(cache.take(for: settled) == Self.digest(2))
        #expect(cache.take(for: settled) == Self.digest(2))
        #expect(!recent.isSettled(at: 12_000_000_000) && recent.isSettled(at: 12_000_000_001))
    }

    /// A same-size rewrite with the old modification time put back by
    /// utimensat still changes the identity: its ctime moves on.
    @Test func aRewriteWithItsTimeRestoredIsAnotherIdentity() async throws {
        let folder = TemporaryDirectory("keygate-identity-test")
        defer { folder.remove() }
        let path = folder.appending("file")
        try writeFile(path, Array("before".utf8))
        var before = stat()
        #expect(stat(path, &before) == 0)
        let first = FileIdentity(before)
        #expect(await FileSystemClock.passes(first.changedNanoseconds), "the file system clock moves on")
        try writeFile(path, Array("after!".utf8))
        let times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, path, times, 0) == 0)
        var after = stat()
        #expect(stat(path, &after) == 0)
        let second = FileIdentity(after)
        #expect(second.size == first.size && second.modifiedNanoseconds == first.modifiedNanoseconds)
        #expect(second != first)
        #expect(second.changedNanoseconds > first.changedNanoseconds)
    }
}
