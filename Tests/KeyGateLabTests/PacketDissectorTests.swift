import KeyGateLab
import KeyGateTestSupport
import Testing

/// Link layers, IP and TCP headers, and the packets that hold no segment.
struct PacketDissectorTests {
    static func packet(_ data: [UInt8], originalLength: Int? = nil) throws -> PcapFile.Packet {
        // A one-packet capture, to get a Packet as the reader makes it.
        var file: [UInt8] = [0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + Array(repeating: 0, count: 8) + [0, 0, 4, 0, 1, 0, 0, 0]
        let length = UInt32(data.count), original = UInt32(originalLength ?? data.count)
        file += [0, 0, 0, 0, 0, 0, 0, 0]
        file += [UInt8(length & 0xff), UInt8(length >> 8 & 0xff), 0, 0, UInt8(original & 0xff), UInt8(original >> 8 & 0xff), 0, 0]
        return try PcapFile(bytes: file + data).packets[0]
    }

    static let tcp: [UInt8] = [0x04, 0xd2, 0x1e, 0x14] + [0, 0, 0, 1] + [0, 0, 0, 0] + [0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0] + [0xaa, 0xbb]
    static func ipv4(protocol number: UInt8 = 6, fragment: [UInt8] = [0x40, 0], payload: [UInt8] = tcp) -> [UInt8] {
        [0x45, 0] + [0, UInt8(20 + payload.count)] + [0, 0] + fragment + [64, number, 0, 0] + [127, 0, 0, 1, 127, 0, 0, 2] + payload
    }

    static func segment(_ outcome: PacketDissector.Outcome) -> TCPSegment? {
        if case let .segment(segment) = outcome { return segment }
        return nil
    }

    static func skipped(_ outcome: PacketDissector.Outcome) -> String? {
        if case let .skipped(reason) = outcome { return reason }
        return nil
    }

    @Test func anEthernetFrameWithVLANTagsAndPaddingGivesItsSegment() throws {
        let frame = Array(repeating: 0, count: 12) + [0x81, 0x00, 0, 5] + [0x08, 0x00] + Self.ipv4() + [0, 0, 0, 0]
        let segment = try #require(Self.segment(PacketDissector.dissect(try Self.packet(frame), linkType: .ethernet)))
        #expect(segment.source.description == "127.0.0.1:1234")
        #expect(segment.destination.description == "127.0.0.2:7700")
        #expect(segment.sequenceNumber == 1)
        #expect(segment.payload == [0xaa, 0xbb]) // the Ethernet padding is not payload
        #expect(!segment.syn && segment.ack && !segment.isCut)
    }

    @Test func anIPv6PacketWithAnExtensionHeaderGivesItsSegment() throws {
        let source = Array(repeating: 0, count: 15) + [1] as [UInt8]
        let destination: [UInt8] = [0xfe, 0x80] + Array(repeating: 0, count: 13) + [2]
        let options: [UInt8] = [6, 0, 0, 0, 0, 0, 0, 0]
        let ip: [UInt8] = [0x60, 0, 0, 0, 0, UInt8(options.count + Self.tcp.count), 60, 64] + source + destination + options + Self.tcp
        let segment = try #require(Self.segment(PacketDissector.dissect(try Self.packet(ip), linkType: .raw)))
        #expect(segment.source.description == "[::1]:1234")
        #expect(segment.destination.description == "[fe80::2]:7700")
        #expect(segment.payload == [0xaa, 0xbb])
    }

    @Test(arguments: [(PacketDissector.LinkType.null, [2, 0, 0, 0] as [UInt8]), (.null, [0, 0, 0, 2]), (.loop, [0, 0, 0, 2]),
                      (.linuxCooked, [0, 0, 0, 1, 0, 6] + Array(repeating: 0, count: 8) + [8, 0]),
                      (.linuxCooked2, [8, 0] + Array(repeating: 0, count: 18)), (.ipv4, [])])
    func everyLinkHeaderIsRead(link: PacketDissector.LinkType, header: [UInt8]) throws {
        let outcome = PacketDissector.dissect(try Self.packet(header + Self.ipv4()), linkType: link)
        #expect(Self.segment(outcome)?.payload == [0xaa, 0xbb])
    }

    @Test func aPacketCutByTheSnapLengthIsMarked() throws {
        let frame = Array(repeating: 0, count: 12) + [0x08, 0x00] + Self.ipv4()
        let outcome = PacketDissector.dissect(try Self.packet(Array(frame.dropLast()), originalLength: frame.count), linkType: .ethernet)
        let segment = try #require(Self.segment(outcome))
        #expect(segment.isCut)
        #expect(segment.payload == [0xaa])
    }

    @Test func packetsWithoutASegmentAreSkippedWithTheReason() throws {
        let ethernet = { (type: [UInt8], body: [UInt8]) in Array(repeating: 0, count: 12) + type + body }
        let cases: [([UInt8], PacketDissector.LinkType, String)] = [
            (ethernet([0x08, 0x06], Array(repeating: 0, count: 28)), .ethernet, "not IP (type 0x806)"),
            (ethernet([0x08, 0x00], Self.ipv4(protocol: 17)), .ethernet, "IPv4 protocol 17, not TCP"),
            (ethernet([0x08, 0x00], Self.ipv4(fragment: [0x20, 0])), .ethernet, "an IPv4 fragment (not reassembled)"),
            (ethernet([0x08, 0x00], Array(Self.ipv4().prefix(30))), .ethernet, "cut inside the TCP header"),
            (ethernet([0x08, 0x00], [0x45, 0, 0]), .ethernet, "not a whole IPv4 header"),
            ([0, 0], .null, "cut inside the loopback header"),
            ([7, 0, 0, 0] + Self.ipv4(), .null, "loopback address family 7"),
            ([0, 0, 0], .linuxCooked, "cut inside the link-layer header"),
            ([], .raw, "empty packet"),
            ([0x60] + Array(repeating: 0, count: 10), .raw, "not a whole IPv6 header"),
        ]
        for (bytes, link, reason) in cases {
            #expect(Self.skipped(PacketDissector.dissect(try Self.packet(bytes), linkType: link)) == reason)
        }
    }
}
