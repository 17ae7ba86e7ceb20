import KeyGateSockets

/// A TCP connection is the byte stream of every real channel.
extension TCPConnection: ByteStream {
    public func read(upTo maxByteCount: Int, deadline: ContinuousClock.Instant?) async throws -> [UInt8]? {
        var timeout: Duration?
        if let deadline {
            let remaining = deadline - .now
            guard remaining > .zero else { throw ChannelError.timedOut(while: "reading from \(remoteAddress)") }
            timeout = remaining
        }
        do {
            return try await read(upTo: maxByteCount, timeout: timeout)
        } catch SystemError.timedOut {
            throw ChannelError.timedOut(while: "reading from \(remoteAddress)")
        }
    }

    public func write(_ bytes: [UInt8]) async throws {
        try await write(bytes, timeout: nil)
    }

    public nonisolated var peerDescription: String { remoteAddress.description }
}
