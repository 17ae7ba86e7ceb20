/// Writes libpcap files the way tcpdump does, from the bytes of
/// connections: a SYN handshake, the data in segments, FIN both ways.
/// Tests choose the link type, the IP version, the byte order and the
/// timestamp resolution, and may repeat or reorder segments as a real
/// network does.
public struct PcapWriter: Sendable {
    public enum Link: UInt32, Sendable {
        case null = 0
        case ethernet = 1
        case raw = 101
        case linuxCooked = 113
        case linuxCooked2 = 276
    }

    /// One connection to write.
    public struct Connection: Sendable {
        public var clientAddress: [UInt8]
        public var clientPort: UInt16
        public var serverAddress: [UInt8]
        public var serverPort: UInt16
        /// Each write becomes one or more segments of at most `maximumSegment` bytes.
        public var writes: [(fromClient: Bool, bytes: [UInt8])]

        public init(clientAddress: [UInt8], clientPort: UInt16, serverAddress: [UInt8], serverPort: UInt16, writes: [(fromClient: Bool, bytes: [UInt8])]) {
            self.clientAddress = clientAddress
            self.clientPort = clientPort
            self.serverAddress = serverAddress
            self.serverPort = serverPort
            self.writes = writes
        }

        /// `transcript`'s writes between 127.0.0.1 (or ::1) ports.
        public init(_ transcript: ConnectionTranscript, clientPort: UInt16, serverPort: UInt16, ipv6: Bool = false) {
            let loopback: [UInt8] = ipv6 ? Array(repeating: 0, count: 15) + [1] : [127, 0, 0, 1]
            self.init(clientAddress: loopback, clientPort: clientPort, serverAddress: loopback, serverPort: serverPort,
                      writes: transcript.writes.map { ($0.fromClient, $0.bytes) })
        }
    }

    public var link: Link = .ethernet
    public var bigEndian = false
    public var nanoseconds = false
    public var maximumSegment = 1400
    /// Data segments (counted from 0 over the whole file) sent twice.
    public var retransmit: Set<Int> = []
    /// Data segments sent after the one that follows them.
    public var delay: Set<Int> = []

    public init() {}

    private struct Packet {
        let time: UInt64
        let bytes: [UInt8]
    }

    /// The capture file of `connections`, one after the other.
    public func capture(_ connections: [Connection]) -> [UInt8] {
        var packets: [[UInt8]] = []
        var dataSegment = 0
        for connection in connections {
            var clientSeq: UInt32 = 1_000_000, serverSeq: UInt32 = 4_000_000_000 // wraps past 2^32
            func segment(_ fromClient: Bool, flags: UInt8, payload: [UInt8] = []) -> [UInt8] {
                let seq = fromClient ? clientSeq : serverSeq
                let ack = fromClient ? serverSeq : clientSeq
                return frame(connection, fromClient: fromClient, seq: seq, ack: ack, flags: flags, payload: payload)
            }
            packets.append(segment(true, flags: 0x02))
            clientSeq &+= 1
            packets.append(segment(false, flags: 0x12))
            serverSeq &+= 1
            packets.append(segment(true, flags: 0x10))
            var held: [UInt8]?
            for write in connection.writes {
                var offset = 0
                while offset < write.bytes.count {
                    let piece = Array(write.bytes[offset..<min(write.bytes.count, offset + maximumSegment)])
                    let packet = segment(write.fromClient, flags: 0x18, payload: piece)
                    if write.fromClient { clientSeq &+= UInt32(piece.count) } else { serverSeq &+= UInt32(piece.count) }
                    if delay.contains(dataSegment) {
                        held = packet
                    } else {
                        packets.append(packet)
                        if let late = held {
                            packets.append(late)
                            held = nil
                        }
                    }
                    if retransmit.contains(dataSegment) { packets.append(packet) }
                    dataSegment += 1
                    offset += piece.count
                }
            }
            if let late = held { packets.append(late) }
            packets.append(segment(true, flags: 0x11))
            clientSeq &+= 1
            packets.append(segment(false, flags: 0x11))
            serverSeq &+= 1
            packets.append(segment(true, flags: 0x10))
        }
        var file: [UInt8] = []
        let magic: UInt32 = nanoseconds ? 0xa1b2_3c4d : 0xa1b2_c3d4
        file += u32(magic) + u16(2) + u16(4) + u32(0) + u32(0) + u32(262_144) + u32(link.rawValue)
        for (index, packet) in packets.enumerated() {
            let micros = UInt64(index) * 250
            file += u32(1_800_000_000) + u32(UInt32(nanoseconds ? micros * 1000 : micros))
            file += u32(UInt32(packet.count)) + u32(UInt32(packet.count)) + packet
        }
        return file
    }

    private func frame(_ connection: Connection, fromClient: Bool, seq: UInt32, ack: UInt32, flags: UInt8, payload: [UInt8]) -> [UInt8] {
        let (source, destination) = fromClient
            ? (connection.clientAddress, connection.serverAddress) : (connection.serverAddress, connection.clientAddress)
        let (sourcePort, destinationPort) = fromClient
            ? (connection.clientPort, connection.serverPort) : (connection.serverPort, connection.clientPort)
        let tcp = be16(sourcePort) + be16(destinationPort) + be32(seq) + be32(ack) + [0x50, flags] + be16(65535) + [0, 0, 0, 0] + payload
        let ipv6 = source.count == 16
        let ip: [UInt8] = ipv6
            ? [0x60, 0, 0, 0] + be16(UInt16(tcp.count)) + [6, 64] + source + destination + tcp
            : [0x45, 0] + be16(UInt16(20 + tcp.count)) + [0, 0, 0x40, 0, 64, 6, 0, 0] + source + destination + tcp
        let etherType: [UInt8] = ipv6 ? [0x86, 0xdd] : [0x08, 0x00]
        switch link {
        case .ethernet: return [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1] + etherType + ip
        case .null: return u32(ipv6 ? 10 : 2) + ip
        case .raw: return ip
        case .linuxCooked: return [0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0] + etherType + ip
        case .linuxCooked2: return etherType + [0, 0, 0, 0, 0, 1, 0, 1, 0, 6] + [UInt8](repeating: 0, count: 8) + ip
        }
    }

    /// In the file's byte order.
    private func u32(_ value: UInt32) -> [UInt8] { bigEndian ? be32(value) : be32(value.byteSwapped) }
    private func u16(_ value: UInt16) -> [UInt8] { bigEndian ? be16(value) : be16(value.byteSwapped) }
    private func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)] }
    private func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
}
