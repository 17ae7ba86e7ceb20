import KeyGateLab
import KeyGateTestSupport
import Testing

/// Streams put back together from segments as a network delivers them.
struct TCPReassemblerTests {
    static let client = TCPEndpoint(address: [10, 0, 0, 1], port: 5000)
    static let server = TCPEndpoint(address: [10, 0, 0, 2], port: 7700)

    static func segment(
        _ seq: UInt32, _ payload: [UInt8], fromClient: Bool = true, syn: Bool = false, ack: Bool = true, time: Double = 0
    ) -> TCPSegment {
        TCPSegment(
            source: fromClient ? client : server, destination: fromClient ? server : client, sequenceNumber: seq,
            syn: syn, ack: ack, fin: false, rst: false, payload: payload, isCut: false, packetNumber: 1, time: time)
    }

    static func stream(_ segments: [TCPSegment]) -> CapturedStream {
        var reassembler = TCPReassembler()
        for segment in segments { reassembler.add(segment) }
        return reassembler.connections[0].fromClient
    }

    @Test func segmentsOutOfOrderComeOutInOrder() {
        let syn = Self.segment(99, [], syn: true, ack: false)
        let stream = Self.stream([syn, Self.segment(103, [4, 5]), Self.segment(100, [1, 2, 3]), Self.segment(105, [6])])
        #expect(stream.bytes == [1, 2, 3, 4, 5, 6])
        #expect(stream.outOfOrderSegments == 1)
        #expect(stream.hole == nil && stream.sawStart)
    }

    @Test func aRetransmissionIsTakenOnceAndAConflictCounted() {
        let syn = Self.segment(0, [], syn: true, ack: false)
        let stream = Self.stream([syn, Self.segment(1, [1, 2, 3]), Self.segment(1, [1, 9, 3]), Self.segment(3, [3, 4])])
        #expect(stream.bytes == [1, 2, 3, 4])
        #expect(stream.retransmittedSegments == 2)
        #expect(stream.conflictingBytes == 1)
    }

    @Test func aHoleStopsTheStream() {
        let syn = Self.segment(0, [], syn: true, ack: false)
        let stream = Self.stream([syn, Self.segment(1, [1, 2]), Self.segment(5, [5, 6, 7])])
        #expect(stream.bytes == [1, 2])
        #expect(stream.hole?.offset == 2)
        #expect(stream.hole?.bytesBeyond == 3)
    }

    @Test func sequenceNumbersWrapAround() {
        let syn = Self.segment(UInt32.max - 1, [], syn: true, ack: false)
        let stream = Self.stream([syn, Self.segment(UInt32.max, [1, 2]), Self.segment(1, [3])])
        #expect(stream.bytes == [1, 2, 3])
    }

    @Test func withoutTheSYNTheStreamStartsAtTheLowestSequenceNumber() {
        var reassembler = TCPReassembler()
        reassembler.add(Self.segment(50, [3, 4]))
        reassembler.add(Self.segment(48, [1, 2]))
        let connection = reassembler.connections[0]
        #expect(!connection.clientIsKnown)
        #expect(connection.fromClient.bytes == [1, 2, 3, 4])
        #expect(!connection.fromClient.sawStart)
    }

    @Test func aSYNACKNamesTheClientEvenWhenTheSYNWasMissed() {
        var reassembler = TCPReassembler()
        reassembler.add(Self.segment(7, [], fromClient: false, syn: true, ack: true))
        let connection = reassembler.connections[0]
        #expect(connection.client == Self.client && connection.server == Self.server && connection.clientIsKnown)
    }

    @Test func aNewSYNOnTheSamePortsIsANewConnection() {
        var reassembler = TCPReassembler()
        reassembler.add(Self.segment(0, [], syn: true, ack: false))
        reassembler.add(Self.segment(1, [1]))
        reassembler.add(Self.segment(1000, [], syn: true, ack: false, time: 5))
        reassembler.add(Self.segment(1001, [2]))
        let connections = reassembler.connections
        #expect(connections.count == 2)
        #expect(connections.map(\.fromClient.bytes) == [[1], [2]])
        #expect(connections[1].startTime == 5)
    }

    /// The frame times come from the packet that completed each byte run.
    @Test func bytesRememberWhenTheyArrived() {
        let syn = Self.segment(0, [], syn: true, ack: false)
        let stream = Self.stream([syn, Self.segment(1, [1, 2], time: 1), Self.segment(5, [5], time: 2), Self.segment(3, [3, 4], time: 3)])
        #expect(stream.time(ofByte: 0).time == 1)
        #expect(stream.time(ofByte: 3).time == 3)
        // Byte 4 arrived at 2, but it was readable in order only at 3.
        #expect(stream.time(ofByte: 4).time == 3)
    }
}
