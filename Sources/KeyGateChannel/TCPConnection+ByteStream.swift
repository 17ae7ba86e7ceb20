import KeyGateSockets

/// A TCP connection is the byte stream of every real channel.
extension TCPConnection: ByteStream {
    public func read(upTo maxByteCount: Int, deadline: ContinuousClock.Instant?) async throws -> [UInt8]? {
        let activity = "reading from \(remoteAddress)"
        return try await mappingTimeout(activity) {
            try await read(upTo: maxByteCount, timeout: try Self.timeout(until: deadline, activity))
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes, timeout: nil)
    }

    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant?) async throws {
        let activity = "writing to \(remoteAddress)"
        try await mappingTimeout(activity) {
            try await write(bytes, timeout: try Self.timeout(until: deadline, activity))
        }
    }

    public nonisolated var peerDescription: String { remoteAddress.description }

    /// The time left until `deadline` (nil: no limit).
    /// - Throws: `ChannelError.timedOut` when it has passed.
    private static func timeout(until deadline: ContinuousClock.Instant?, _ activity: String) throws -> Duration? {
        guard let deadline else { return nil }
        let remaining = deadline - .now
        guard remaining > .zero else { throw ChannelError.timedOut(while: activity) }
        return remaining
    }

    /// Runs `operation`, reporting the socket layer's timeout as the channel's.
    private func mappingTimeout<T>(_ activity: String, _ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch SystemError.timedOut {
            throw ChannelError.timedOut(while: activity)
        }
    }
}
