/// Takes the TCP segment out of a captured packet: the link layer
/// (Ethernet with VLAN tags, BSD null/loopback, Linux cooked SLL and SLL2,
/// raw IP), then IPv4 or IPv6 (with their extension headers), then TCP.
public enum PacketDissector {
    /// LINKTYPE_ values of the link layers read.
    public enum LinkType: UInt32, Sendable {
        case null = 0
        case ethernet = 1
        case raw = 101
        case loop = 108
        case linuxCooked = 113
        case ipv4 = 228
        case ipv6 = 229
        case linuxCooked2 = 276

        /// Its name as tcpdump prints it.
        public var name: String {
            switch self {
            case .null: return "BSD loopback (NULL)"
            case .ethernet: return "Ethernet"
            case .raw: return "raw IP"
            case .loop: return "OpenBSD loopback (LOOP)"
            case .linuxCooked: return "Linux cooked (SLL)"
            case .ipv4: return "raw IPv4"
            case .ipv6: return "raw IPv6"
            case .linuxCooked2: return "Linux cooked v2 (SLL2)"
            }
        }
    }

    /// What a packet holds for the decoder.
    public enum Outcome: Sendable {
        case segment(TCPSegment)
        /// Not TCP over IP, or a fragment, or cut before the TCP header: why.
        case skipped(String)
    }

    static let etherTypeIPv4: UInt16 = 0x0800
    static let etherTypeIPv6: UInt16 = 0x86dd
    static let etherTypeVLAN: Set<UInt16> = [0x8100, 0x88a8, 0x9100]
    static let protocolTCP: UInt8 = 6

    /// The segment in `packet`, captured on a link of type `linkType`.
    public static func dissect(_ packet: PcapFile.Packet, linkType: LinkType) -> Outcome {
        let bytes = packet.data
        let network: (kind: UInt16, offset: Int)?
        switch linkType {
        case .ethernet:
            var offset = 12
            var kind: UInt16?
            while bytes.count >= offset + 2 {
                let type = uint16(bytes, offset)
                if etherTypeVLAN.contains(type) {
                    offset += 4
                    continue
                }
                kind = type
                offset += 2
                break
            }
            network = kind.map { ($0, offset) }
        case .null, .loop:
            guard bytes.count >= 4 else { return .skipped("cut inside the loopback header") }
            // The address family, in the byte order of the capturing host
            // (NULL) or big-endian (LOOP): IPv4 is 2 everywhere, IPv6 is 10
            // on Linux, 24, 28 or 30 on the BSDs and macOS.
            let big = UInt32(PcapFile.uint32(bytes, 0, bigEndian: true))
            let family = linkType == .loop || big < 256 ? big : big.byteSwapped
            switch family {
            case 2: network = (etherTypeIPv4, 4)
            case 10, 24, 28, 30: network = (etherTypeIPv6, 4)
            default: return .skipped("loopback address family \(family)")
            }
        case .linuxCooked:
            network = bytes.count >= 16 ? (uint16(bytes, 14), 16) : nil
        case .linuxCooked2:
            network = bytes.count >= 20 ? (uint16(bytes, 0), 20) : nil
        case .raw, .ipv4, .ipv6:
            guard let first = bytes.first else { return .skipped("empty packet") }
            network = (first >> 4 == 6 ? etherTypeIPv6 : etherTypeIPv4, 0)
        }
        guard let network else { return .skipped("cut inside the link-layer header") }
        switch network.kind {
        case etherTypeIPv4: return ipv4(packet, at: network.offset)
        case etherTypeIPv6: return ipv6(packet, at: network.offset)
        default: return .skipped("not IP (type 0x\(String(network.kind, radix: 16)))")
        }
    }

    private static func ipv4(_ packet: PcapFile.Packet, at offset: Int) -> Outcome {
        let bytes = packet.data
        guard bytes.count >= offset + 20, bytes[offset] >> 4 == 4 else { return .skipped("not a whole IPv4 header") }
        let headerLength = Int(bytes[offset] & 0x0f) * 4
        let totalLength = Int(uint16(bytes, offset + 2))
        let fragment = uint16(bytes, offset + 6)
        guard fragment & 0x3fff == 0 else { return .skipped("an IPv4 fragment (not reassembled)") }
        guard bytes[offset + 9] == protocolTCP else { return .skipped("IPv4 protocol \(bytes[offset + 9]), not TCP") }
        guard headerLength >= 20, totalLength >= headerLength else { return .skipped("a malformed IPv4 header") }
        let source = Array(bytes[(offset + 12)..<(offset + 16)])
        let destination = Array(bytes[(offset + 16)..<(offset + 20)])
        // Ethernet pads short frames: the IP length says where data ends.
        let end = offset + totalLength
        return tcp(packet, at: offset + headerLength, end: end, source: source, destination: destination)
    }

    private static func ipv6(_ packet: PcapFile.Packet, at offset: Int) -> Outcome {
        let bytes = packet.data
        guard bytes.count >= offset + 40, bytes[offset] >> 4 == 6 else { return .skipped("not a whole IPv6 header") }
        let payloadLength = Int(uint16(bytes, offset + 4))
        var next = bytes[offset + 6]
        let source = Array(bytes[(offset + 8)..<(offset + 24)])
        let destination = Array(bytes[(offset + 24)..<(offset + 40)])
        var cursor = offset + 40
        // Hop-by-hop, routing and destination options: skip to the next header.
        while [0, 43, 60].contains(next) {
            guard bytes.count >= cursor + 2 else { return .skipped("cut inside an IPv6 extension header") }
            next = bytes[cursor]
            cursor += (Int(bytes[cursor + 1]) + 1) * 8
        }
        guard next != 44 else { return .skipped("an IPv6 fragment (not reassembled)") }
        guard next == protocolTCP else { return .skipped("IPv6 next header \(next), not TCP") }
        return tcp(packet, at: cursor, end: offset + 40 + payloadLength, source: source, destination: destination)
    }

    private static func tcp(_ packet: PcapFile.Packet, at offset: Int, end: Int, source: [UInt8], destination: [UInt8]) -> Outcome {
        let bytes = packet.data
        guard bytes.count >= offset + 20 else { return .skipped("cut inside the TCP header") }
        let dataOffset = Int(bytes[offset + 12] >> 4) * 4
        guard dataOffset >= 20, end >= offset + dataOffset else { return .skipped("a malformed TCP header") }
        let flags = bytes[offset + 13]
        let payloadStart = min(offset + dataOffset, bytes.count)
        let payloadEnd = min(end, bytes.count)
        let cut = end > bytes.count
        return .segment(TCPSegment(
            source: TCPEndpoint(address: source, port: uint16(bytes, offset)),
            destination: TCPEndpoint(address: destination, port: uint16(bytes, offset + 2)),
            sequenceNumber: PcapFile.uint32(bytes, offset + 4, bigEndian: true),
            syn: flags & 0x02 != 0, ack: flags & 0x10 != 0, fin: flags & 0x01 != 0, rst: flags & 0x04 != 0,
            payload: payloadStart < payloadEnd ? Array(bytes[payloadStart..<payloadEnd]) : [],
            isCut: cut, packetNumber: packet.number, time: packet.time))
    }

    static func uint16(_ bytes: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }
}
