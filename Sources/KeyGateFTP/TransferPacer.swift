/// Holds a transfer to a rate: after each piece it waits, with an
/// asynchronous sleep (never blocking a thread), until the bytes moved so
/// far are no more than the rate allows since the transfer began. So the
/// whole transfer takes at least `bytes / rate`, and no burst larger than
/// one piece is ever sent or taken ahead of time.
public struct TransferPacer: Sendable {
    /// The limit, bytes per second (> 0).
    public let bytesPerSecond: Int64
    private let start: ContinuousClock.Instant
    private var moved: Int64 = 0

    /// A pacer whose transfer begins now.
    public init(bytesPerSecond: Int64) {
        precondition(bytesPerSecond > 0, "a rate limit is positive")
        self.bytesPerSecond = bytesPerSecond
        start = .now
    }

    /// The piece size that keeps pacing smooth at this rate: an eighth of
    /// a second's bytes, at least 4 KiB and at most `pieceByteCount`.
    public func pieceByteCount(atMost pieceByteCount: Int) -> Int {
        Int(min(Int64(pieceByteCount), max(4096, bytesPerSecond / 8)))
    }

    /// Counts `byteCount` more bytes moved, then sleeps until the rate
    /// allows them.
    /// - Throws: `CancellationError` when the task is cancelled while it
    ///   waits.
    public mutating func pace(_ byteCount: Int) async throws {
        moved += Int64(byteCount)
        let due = start + .nanoseconds(Int64((Double(moved) / Double(bytesPerSecond) * 1e9).rounded(.up)))
        if due > .now {
            try await Task.sleep(until: due, clock: .continuous)
        }
    }
}
