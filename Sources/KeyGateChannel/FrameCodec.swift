/// The frames of PROTOCOL.md section 1, as a value without I/O: a 2-byte
/// big-endian length, then that many bytes of payload (0 to 65535).
///
/// Decoding: bytes read from a stream are appended as they come, and whole
/// frames are taken from the front. A frame's header and payload may arrive
/// in any number of pieces, and one piece may hold several frames. Every
/// length a header can spell is valid, so the only malformed input is a
/// stream that ends inside a frame (`endOfStream()`).
///
/// Encoding: `encode(_:)` for one payload, `writeHeader` for callers that
/// build several frames in one buffer (sealed transport messages).
public struct FrameCodec: Sendable {
    /// Section 1: the length prefix.
    public static let headerByteCount = 2
    /// Section 1: the largest payload a header can announce.
    public static let maximumPayloadByteCount = KeyGateWire.maximumFrameByteCount

    private var buffer: [UInt8] = []
    /// Where the first unconsumed byte of `buffer` is.
    private var start = 0

    public init() {}

    /// Bytes appended and not yet taken.
    public var bufferedByteCount: Int { buffer.count - start }

    /// The payload length the buffered header announces, once its two
    /// bytes are there.
    public var announcedPayloadByteCount: Int? {
        guard bufferedByteCount >= Self.headerByteCount else { return nil }
        return Int(buffer[start]) << 8 | Int(buffer[start + 1])
    }

    /// How many more bytes the front frame needs (its header first); 0 when
    /// a whole frame is buffered.
    public var missingByteCount: Int {
        guard let length = announcedPayloadByteCount else { return Self.headerByteCount - bufferedByteCount }
        return max(0, Self.headerByteCount + length - bufferedByteCount)
    }

    /// Whether a whole frame is buffered.
    public var hasWholeFrame: Bool { missingByteCount == 0 }

    /// Adds bytes read from the stream. When nothing is buffered the array
    /// becomes the buffer as it is, without a copy.
    public mutating func append(_ bytes: [UInt8]) {
        if bufferedByteCount == 0 {
            buffer = bytes
            start = 0
            return
        }
        if start > buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Takes the front frame's payload, or nil while it is incomplete.
    public mutating func nextFrame() -> [UInt8]? {
        guard hasWholeFrame, let length = announcedPayloadByteCount else { return nil }
        let payloadStart = start + Self.headerByteCount
        let payload = Array(buffer[payloadStart..<(payloadStart + length)])
        consume(Self.headerByteCount + length)
        return payload
    }

    /// Hands the front frame's payload to `body` in place (it may change
    /// the bytes, as in-place decryption does), then takes the frame out.
    /// When `body` throws the frame stays where it was.
    /// - Returns: what `body` returned, or nil while the frame is incomplete.
    public mutating func withNextFrame<Result, Failure: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(Failure) -> Result
    ) throws(Failure) -> Result? {
        guard hasWholeFrame, let length = announcedPayloadByteCount else { return nil }
        let payloadStart = start + Self.headerByteCount
        let result: Swift.Result<Result, Failure> = buffer.withUnsafeMutableBytes { bytes in
            do throws(Failure) {
                return .success(try body(UnsafeMutableRawBufferPointer(rebasing: bytes[payloadStart..<(payloadStart + length)])))
            } catch {
                return .failure(error)
            }
        }
        let value = try result.get()
        consume(Self.headerByteCount + length)
        return value
    }

    /// What the end of the stream means here: nothing when it falls between
    /// frames.
    /// - Throws: `ChannelError.truncatedFrame` with the bytes expected
    ///   (header, or header and payload) and those received, when it falls
    ///   inside one.
    public func endOfStream() throws(ChannelError) {
        let buffered = bufferedByteCount
        guard buffered > 0 else { return }
        throw .truncatedFrame(expected: buffered + missingByteCount, received: buffered)
    }

    private mutating func consume(_ count: Int) {
        start += count
        if start == buffer.count {
            // Drop a buffer grown by a burst, keep one of ordinary size.
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 17)
            start = 0
        }
    }

    // MARK: Encoding

    /// One frame: the header of `payload`, then `payload`.
    /// - Throws: `ChannelError.frameTooLarge` past 65535 bytes.
    public static func encode(_ payload: [UInt8]) throws(ChannelError) -> [UInt8] {
        guard payload.count <= maximumPayloadByteCount else { throw .frameTooLarge(payload.count) }
        var frame = [UInt8]()
        frame.reserveCapacity(headerByteCount + payload.count)
        frame.append(UInt8(payload.count >> 8))
        frame.append(UInt8(payload.count & 0xff))
        frame.append(contentsOf: payload)
        return frame
    }

    /// Writes the header of a `length`-byte payload at `offset` of `buffer`.
    /// The caller has checked `length` (at most 65535).
    public static func writeHeader(length: Int, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) {
        precondition(length <= maximumPayloadByteCount, "a frame payload is at most 65535 bytes")
        buffer[offset] = UInt8(length >> 8)
        buffer[offset + 1] = UInt8(length & 0xff)
    }
}
