/// A libpcap capture file (the format tcpdump -w writes): a 24-byte file
/// header, then records of a 16-byte header and the packet's bytes.
///
/// Both byte orders are read, with microsecond (magic a1b2c3d4) or
/// nanosecond (a1b23c4d) timestamps. A file that ends inside a header or a
/// packet is refused as truncated, not read in part: a lab should capture
/// again rather than study half a session.
public struct PcapFile: Sendable {
    /// One captured packet.
    public struct Packet: Sendable {
        /// Its place in the file, from 1 (as Wireshark numbers them).
        public let number: Int
        /// Seconds since 1970.
        public let seconds: UInt32
        /// Nanoseconds within the second (microsecond files are scaled).
        public let nanoseconds: UInt32
        /// The captured bytes (maybe fewer than were on the wire).
        public let data: [UInt8]
        /// The length of the packet on the wire.
        public let originalLength: Int

        /// The time as seconds since 1970.
        public var time: Double { Double(seconds) + Double(nanoseconds) * 1e-9 }
        /// Whether the capture kept fewer bytes than the wire carried (snaplen).
        public var isCut: Bool { data.count < originalLength }
    }

    /// Magic numbers, as the file's first four bytes read big-endian.
    static let microsecondMagic: UInt32 = 0xa1b2_c3d4
    static let nanosecondMagic: UInt32 = 0xa1b2_3c4d
    static let pcapngMagic: UInt32 = 0x0a0d_0d0a
    static let fileHeaderByteCount = 24
    static let recordHeaderByteCount = 16
    /// A record longer than this is not a packet but a corrupt header.
    static let maximumRecordByteCount = 1 << 24

    /// The link type of every packet (LINKTYPE_ values: 1 Ethernet, ...).
    public let linkType: UInt32
    public let nanosecondTimestamps: Bool
    public let bigEndian: Bool
    public let packets: [Packet]

    /// Reads a whole capture.
    /// - Throws: `LabError.notACapture` for another format (pcapng named as
    ///   such), `LabError.truncatedCapture` for a file that ends inside a
    ///   header or a packet, saying where.
    public init(bytes: [UInt8]) throws(LabError) {
        guard bytes.count >= 4 else {
            throw bytes.isEmpty ? .truncatedCapture("the file is empty") : .truncatedCapture("the file has only \(bytes.count) bytes")
        }
        let magic = Self.uint32(bytes, 0, bigEndian: true)
        switch magic {
        case Self.microsecondMagic, Self.nanosecondMagic:
            bigEndian = true
        case Self.microsecondMagic.byteSwapped, Self.nanosecondMagic.byteSwapped:
            bigEndian = false
        case Self.pcapngMagic:
            throw .notACapture("this is a pcapng file; write libpcap with 'tcpdump -w' or convert")
        default:
            throw .notACapture("unknown magic number \(String(magic, radix: 16))")
        }
        nanosecondTimestamps = magic == Self.nanosecondMagic || magic == Self.nanosecondMagic.byteSwapped
        guard bytes.count >= Self.fileHeaderByteCount else {
            throw .truncatedCapture("the file header needs \(Self.fileHeaderByteCount) bytes, the file has \(bytes.count)")
        }
        let major = Self.uint16(bytes, 4, bigEndian: bigEndian)
        guard major == 2 else { throw .notACapture("libpcap version \(major), expected 2") }
        // The top bits of the link-type field carry FCS information.
        linkType = Self.uint32(bytes, 20, bigEndian: bigEndian) & 0x0fff_ffff
        var packets: [Packet] = []
        var offset = Self.fileHeaderByteCount
        while offset < bytes.count {
            let number = packets.count + 1
            guard bytes.count - offset >= Self.recordHeaderByteCount else {
                throw .truncatedCapture("packet \(number)'s header at byte \(offset) is cut after \(bytes.count - offset) of 16 bytes")
            }
            let seconds = Self.uint32(bytes, offset, bigEndian: bigEndian)
            let fraction = Self.uint32(bytes, offset + 4, bigEndian: bigEndian)
            let included = Int(Self.uint32(bytes, offset + 8, bigEndian: bigEndian))
            let original = Int(Self.uint32(bytes, offset + 12, bigEndian: bigEndian))
            guard included <= Self.maximumRecordByteCount else {
                throw .notACapture("packet \(number) claims \(included) bytes: the file is corrupt at byte \(offset)")
            }
            let start = offset + Self.recordHeaderByteCount
            guard bytes.count - start >= included else {
                throw .truncatedCapture("packet \(number) at byte \(offset) needs \(included) bytes, the file ends after \(bytes.count - start)")
            }
            packets.append(Packet(
                number: number, seconds: seconds,
                nanoseconds: nanosecondTimestamps ? fraction : fraction &* 1000,
                data: Array(bytes[start..<(start + included)]), originalLength: max(original, included)))
            offset = start + included
        }
        self.packets = packets
    }

    static func uint16(_ bytes: [UInt8], _ offset: Int, bigEndian: Bool) -> UInt16 {
        let value = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
        return bigEndian ? value : value.byteSwapped
    }

    static func uint32(_ bytes: [UInt8], _ offset: Int, bigEndian: Bool) -> UInt32 {
        let value = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        return bigEndian ? value : value.byteSwapped
    }
}
