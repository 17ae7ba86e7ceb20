import KeyGateSystem

/// A reliable, ordered, bidirectional byte stream (a TCP connection, or an
/// in-memory pipe in tests) that a `SecureChannel` runs over.
///
/// A stream is used by at most one reader and one writer at a time.
public protocol ByteStream: Sendable {
    /// Reads between 1 and `maxByteCount` bytes, waiting until some are
    /// available or `deadline` passes (nil: no limit).
    /// - Returns: the bytes, or nil at the end of the stream.
    /// - Throws: `TimedOut` at the deadline, `CancellationError`, or the
    ///   transport's error.
    func read(upTo maxByteCount: Int, deadline: Deadline?) async throws -> [UInt8]?

    /// Writes all of `bytes`, failing with `TimedOut` if the peer has not
    /// taken them by `deadline` (nil: no limit). After a timeout the stream
    /// is out of step and should be closed.
    func write(_ bytes: [UInt8], deadline: Deadline?) async throws

    /// Closes the stream in both directions; pending operations fail.
    func close() async

    /// The peer's address, for logs (`127.0.0.1:53122`).
    var peerDescription: String { get }
}

extension ByteStream {
    /// Writes all of `bytes`, however long the peer takes.
    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes, deadline: nil)
    }
}
