import KeyGateChannel
import Testing

/// PROTOCOL.md section 1 without a stream: every way a header and its
/// payload can arrive, and every way a stream can end inside them.
struct FrameCodecTests {
    /// A codec fed `bytes` in one piece.
    static func fed(_ bytes: [UInt8]) -> FrameCodec {
        var codec = FrameCodec()
        codec.append(bytes)
        return codec
    }

    @Test(arguments: [0, 1, 255, 256, 4096, 65535])
    func aFrameOfEveryLengthRoundTrips(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let frame = try FrameCodec.encode(payload)
        #expect(frame.count == 2 + length)
        #expect(frame[0] == UInt8(length >> 8) && frame[1] == UInt8(length & 0xff), "big-endian length")
        var codec = Self.fed(frame)
        #expect(codec.hasWholeFrame)
        #expect(codec.nextFrame() == payload)
        #expect(codec.bufferedByteCount == 0)
        #expect(throws: Never.self) { try codec.endOfStream() }
    }

    @Test func theLargestPayloadIs65535Bytes() throws {
        #expect(FrameCodec.maximumPayloadByteCount == 65535)
        #expect(throws: ChannelError.frameTooLarge(65536)) { try FrameCodec.encode([UInt8](repeating: 0, count: 65536)) }
        #expect(try FrameCodec.encode([UInt8](repeating: 0, count: 65535)).count == 65537)
    }

    @Test func theLargestHeaderAnnounces65535Bytes() {
        var codec = Self.fed([0xff, 0xff])
        #expect(codec.announcedPayloadByteCount == 65535)
        #expect(codec.missingByteCount == 65535)
        codec.append([UInt8](repeating: 9, count: 65534))
        #expect(codec.missingByteCount == 1)
        #expect(codec.nextFrame() == nil)
        codec.append([9])
        #expect(codec.nextFrame() == [UInt8](repeating: 9, count: 65535))
    }

    @Test func anEmptyFrameIsAFrame() {
        var codec = Self.fed([0, 0, 0, 1, 7])
        #expect(codec.nextFrame() == [])
        #expect(codec.nextFrame() == [7])
        #expect(codec.nextFrame() == nil)
    }

    @Test func aFrameArrivingOneByteAtATimeIsWholeOnlyAtItsLastByte() throws {
        let frame = try FrameCodec.encode(Array("hello".utf8))
        var codec = FrameCodec()
        for (index, byte) in frame.enumerated() {
            #expect(!codec.hasWholeFrame)
            #expect(codec.missingByteCount == (index < 2 ? 2 - index : frame.count - index))
            #expect(codec.nextFrame() == nil)
            codec.append([byte])
        }
        #expect(codec.nextFrame() == Array("hello".utf8))
    }

    @Test func severalFramesInOnePieceComeOutInOrder() throws {
        let payloads: [[UInt8]] = [[1], [], [2, 3], [UInt8](repeating: 4, count: 300)]
        var codec = Self.fed(try payloads.flatMap { try FrameCodec.encode($0) })
        for payload in payloads { #expect(codec.nextFrame() == payload) }
        #expect(codec.nextFrame() == nil)
    }

    @Test func aPieceThatEndsInsideTheNextHeaderKeepsItsFirstByte() throws {
        var codec = Self.fed(try FrameCodec.encode([5]) + [0])
        #expect(codec.nextFrame() == [5])
        #expect(codec.announcedPayloadByteCount == nil)
        #expect(codec.missingByteCount == 1)
        codec.append([2, 6, 7])
        #expect(codec.nextFrame() == [6, 7])
    }

    // MARK: Truncation

    @Test func theStreamEndingBetweenFramesIsClean() throws {
        var codec = Self.fed(try FrameCodec.encode([1, 2]))
        _ = codec.nextFrame()
        #expect(throws: Never.self) { try codec.endOfStream() }
        #expect(throws: Never.self) { try FrameCodec().endOfStream() }
    }

    @Test func theStreamEndingInsideTheHeaderIsATruncatedFrame() {
        #expect(throws: ChannelError.truncatedFrame(expected: 2, received: 1)) { try Self.fed([0]).endOfStream() }
    }

    @Test func theStreamEndingInsideThePayloadIsATruncatedFrame() {
        #expect(throws: ChannelError.truncatedFrame(expected: 12, received: 5)) {
            try Self.fed([0, 10, 1, 2, 3]).endOfStream()
        }
        #expect(throws: ChannelError.truncatedFrame(expected: 65537, received: 2)) { try Self.fed([0xff, 0xff]).endOfStream() }
    }

    @Test func theStreamEndingRightAfterAHeaderOfZeroIsClean() throws {
        var codec = Self.fed([0, 0])
        #expect(codec.nextFrame() == [])
        #expect(throws: Never.self) { try codec.endOfStream() }
    }

    // MARK: In place

    @Test func aFrameHandedOverInPlaceIsTakenOnlyWhenTheBodySucceeds() throws {
        struct Refused: Error {}
        var codec = Self.fed(try FrameCodec.encode([1, 2, 3]) + FrameCodec.encode([4]))
        #expect(throws: Refused.self) {
            _ = try codec.withNextFrame { (_) throws(Refused) -> Int in throw Refused() }
        }
        #expect(codec.announcedPayloadByteCount == 3, "a refused frame stays at the front")
        let sum = codec.withNextFrame { payload -> Int in
            payload[0] = 10
            return payload.reduce(0) { $0 + Int($1) }
        }
        #expect(sum == 15)
        #expect(codec.nextFrame() == [4])
        #expect(codec.withNextFrame { $0.count } == nil)
    }

    @Test func headersWrittenIntoABufferMatchTheEncoder() throws {
        var buffer = [UInt8](repeating: 0, count: 6)
        buffer.withUnsafeMutableBytes { FrameCodec.writeHeader(length: 0x1234, into: $0, at: 3) }
        #expect(buffer == [0, 0, 0, 0x12, 0x34, 0])
        #expect(Array(try FrameCodec.encode([UInt8](repeating: 0, count: 0x1234)).prefix(2)) == [0x12, 0x34])
    }
}
