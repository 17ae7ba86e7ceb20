import KeyGateSystem

/// Frames in clear over a `ByteStream` (PROTOCOL.md section 1): what two
/// peers exchange before any key exists, the proposed protocol name and
/// the handshake messages.
///
/// A value owned by the one task that runs the handshake. The handshake
/// consumes it to make the `SecureChannel` that continues on the same
/// stream, with any bytes already read past the handshake.
public struct FramedStream: Sendable {
    public let stream: any ByteStream
    /// Bytes read and not yet taken as frames.
    var frames = FrameCodec()

    public init(stream: any ByteStream) {
        self.stream = stream
    }

    /// Reads one frame's payload.
    /// - Returns: the payload, or nil when the stream ends cleanly between frames.
    /// - Throws: `ChannelError.truncatedFrame` when it ends inside one,
    ///   `TimedOut` at the deadline, the stream's errors.
    public mutating func readFrame(deadline: Deadline? = nil) async throws -> [UInt8]? {
        while !frames.hasWholeFrame {
            guard let bytes = try await stream.read(completing: frames, deadline: deadline) else {
                try frames.endOfStream()
                return nil
            }
            frames.append(bytes)
        }
        return frames.nextFrame()
    }

    /// Writes `payload` as one frame.
    /// - Throws: `ChannelError.frameTooLarge` past 65535 bytes, the stream's errors.
    public func writeFrame(_ payload: [UInt8], deadline: Deadline? = nil) async throws {
        try await stream.write(try FrameCodec.encode(payload), deadline: deadline)
    }

    /// Closes the stream.
    public func close() async {
        await stream.close()
    }
}

extension ByteStream {
    /// Reads towards the front frame of `frames`: at least what it is
    /// missing, and room for a whole frame, so that a stream that hands
    /// over whole frames (the in-memory pipe) passes its arrays without a copy.
    func read(completing frames: FrameCodec, deadline: Deadline?) async throws -> [UInt8]? {
        let wanted = max(FrameCodec.headerByteCount + FrameCodec.maximumPayloadByteCount, frames.missingByteCount)
        return try await read(upTo: wanted, deadline: deadline)
    }
}
