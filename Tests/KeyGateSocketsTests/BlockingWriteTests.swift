import KeyGateSystem
import Glibc
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// Whole buffers reach files; failures come back as errno.
struct BlockingWriteTests {
    @Test func everyByteReachesTheFile() throws {
        let folder = TemporaryDirectory("keygate-write-test")
        defer { folder.remove() }
        let path = folder.appending("out")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        try #require(descriptor >= 0)
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let failure = bytes.withUnsafeBytes { BlockingWrite.all($0, to: descriptor) }
        close(descriptor)
        #expect(failure == nil)
        #expect(readFile(path) == bytes)
    }

    @Test func anEmptyBufferWritesNothing() {
        #expect(BlockingWrite.all(UnsafeRawBufferPointer(start: nil, count: 0), to: -1) == nil)
    }

    @Test func aFailedWriteReportsItsErrno() {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]); close(ends[1]) }
        // The read end cannot be written to.
        let failure = [UInt8](repeating: 1, count: 10).withUnsafeBytes { BlockingWrite.all($0, to: ends[0]) }
        #expect(failure == EBADF)
    }
}
