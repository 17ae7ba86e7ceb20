import KeyGateLab
import KeyGateTestSupport
import Testing

/// The libpcap file format: headers, byte orders, resolutions and every
/// way a file can be wrong.
struct PcapFileTests {
    static let oneConnection = PcapWriter.Connection(
        clientAddress: [10, 0, 0, 1], clientPort: 1234, serverAddress: [10, 0, 0, 2], serverPort: 7700,
        writes: [(true, [0, 3, 1, 2, 3])])

    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func bothByteOrdersAndResolutionsAreRead(bigEndian: Bool, nanoseconds: Bool) throws {
        var writer = PcapWriter()
        writer.bigEndian = bigEndian
        writer.nanoseconds = nanoseconds
        let file = try PcapFile(bytes: writer.capture([Self.oneConnection]))
        #expect(file.bigEndian == bigEndian)
        #expect(file.nanosecondTimestamps == nanoseconds)
        #expect(file.linkType == 1)
        #expect(file.packets.count == 7)
        #expect(file.packets.map(\.number) == Array(1...7))
        // The writer spaces packets 250 microseconds apart, whatever the resolution.
        #expect(file.packets[1].nanoseconds - file.packets[0].nanoseconds == 250_000)
        #expect(file.packets[0].seconds == 1_800_000_000)
    }

    @Test func anEmptyFileIsTruncated() {
        #expect(throws: LabError.truncatedCapture("the file is empty")) { try PcapFile(bytes: []) }
    }

    @Test func aCutFileHeaderIsTruncated() {
        let bytes = Array(PcapWriter().capture([]).prefix(10))
        #expect(throws: LabError.truncatedCapture("the file header needs 24 bytes, the file has 10")) { try PcapFile(bytes: bytes) }
    }

    @Test func aCutRecordHeaderIsTruncated() {
        let bytes = PcapWriter().capture([Self.oneConnection])
        let first = 24 + 16 + Int(bytes[24 + 8]) // the first packet's length (little-endian, under 256)
        #expect(throws: LabError.truncatedCapture("packet 2's header at byte \(first) is cut after 5 of 16 bytes")) {
            try PcapFile(bytes: Array(bytes.prefix(first + 5)))
        }
    }

    @Test func aCutPacketIsTruncated() {
        let bytes = PcapWriter().capture([Self.oneConnection])
        #expect(throws: LabError.self) { try PcapFile(bytes: Array(bytes.dropLast())) }
        do {
            _ = try PcapFile(bytes: Array(bytes.dropLast()))
        } catch {
            guard case let .truncatedCapture(reason) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(reason.hasPrefix("packet 7 at byte "))
        }
    }

    @Test func pcapngIsNamed() {
        let bytes: [UInt8] = [0x0a, 0x0d, 0x0d, 0x0a] + Array(repeating: 0, count: 28)
        #expect(throws: LabError.notACapture("this is a pcapng file; write libpcap with 'tcpdump -w' or convert")) { try PcapFile(bytes: bytes) }
    }

    @Test func anotherFileIsNotACapture() {
        #expect(throws: LabError.notACapture("unknown magic number 7f454c46")) { try PcapFile(bytes: Array("\u{7f}ELF and more bytes here ....".utf8)) }
    }

    @Test func anotherVersionIsRefused() {
        var bytes = PcapWriter().capture([])
        bytes[4] = 3
        #expect(throws: LabError.notACapture("libpcap version 3, expected 2")) { try PcapFile(bytes: bytes) }
    }

    @Test func aHugeRecordLengthIsCorruption() {
        var bytes = PcapWriter().capture([Self.oneConnection])
        bytes[24 + 11] = 0x7f
        #expect(throws: LabError.self) { try PcapFile(bytes: bytes) }
    }

    /// The FCS bits above the link type are not part of it.
    @Test func theLinkTypesUpperBitsAreMasked() throws {
        var bytes = PcapWriter().capture([])
        bytes[23] = 0x10
        #expect(try PcapFile(bytes: bytes).linkType == 1)
    }
}
