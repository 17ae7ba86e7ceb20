import KeyGateSystem
import Glibc
import Testing

/// A descriptor has one owner and is closed exactly once.
struct FileDescriptorTests {
    /// Closing the write end of a pipe shows as end of file at the read
    /// end (a check that a reused descriptor number cannot fool).
    @Test func closeClosesTheDescriptorAndIsIdempotent() throws {
        var ends: [Int32] = [-1, -1]
        try #require(pipe(&ends) == 0)
        let reader = FileDescriptor(adopting: ends[0])
        let writer = FileDescriptor(adopting: ends[1])
        #expect(writer.isOpen)
        #expect(writer.rawValue == ends[1])
        writer.close()
        #expect(!writer.isOpen)
        var byte: UInt8 = 0
        #expect(read(reader.rawValue, &byte, 1) == 0)
        writer.close()
        #expect(!writer.isOpen)
        reader.close()
    }
}
