/// One direction of a captured TCP connection, reassembled: the bytes in
/// sequence order from the first one seen, up to the first hole.
///
/// Conservative: bytes are taken once, from the segment that covers them
/// with the lowest sequence number (first seen among equals); a
/// retransmission that carries different bytes for the same place is
/// counted, never used. The stream stops at the first hole (bytes the
/// capture lost): what follows cannot be framed with certainty.
public struct CapturedStream: Sendable {
    /// A run of bytes and when the last of them became readable in order.
    public struct Chunk: Sendable {
        public let offset: Int
        public let time: Double
        public let packetNumber: Int
    }

    public let sender: TCPEndpoint
    public let bytes: [UInt8]
    public let chunks: [Chunk]
    /// Whether the capture holds the SYN, so `bytes` start at the first byte sent.
    public let sawStart: Bool
    public let sawFIN: Bool
    public let sawRST: Bool
    /// Segments that repeated bytes already seen (retransmissions).
    public let retransmittedSegments: Int
    /// Segments that arrived after one with a higher sequence number.
    public let outOfOrderSegments: Int
    /// Bytes of retransmissions that differ from the bytes first taken.
    public let conflictingBytes: Int
    /// Where the stream stops because the capture lost bytes, and how many
    /// captured bytes lie beyond that hole (not decoded).
    public let hole: (offset: Int, bytesBeyond: Int)?

    /// The time the byte at `offset` became readable in order.
    public func time(ofByte offset: Int) -> (time: Double, packetNumber: Int) {
        var low = 0, high = chunks.count - 1
        guard high >= 0 else { return (0, 0) }
        while low < high {
            let middle = (low + high + 1) / 2
            if chunks[middle].offset <= offset { low = middle } else { high = middle - 1 }
        }
        return (chunks[low].time, chunks[low].packetNumber)
    }
}

extension CapturedStream {
    /// The segments of one direction as they arrive.
    struct Builder {
        let sender: TCPEndpoint
        var initialSequence: UInt32?
        var segments: [TCPSegment] = []
        var sawFIN = false
        var sawRST = false

        init(sender: TCPEndpoint) {
            self.sender = sender
        }

        mutating func add(_ segment: TCPSegment) {
            if segment.syn && initialSequence == nil { initialSequence = segment.sequenceNumber }
            sawFIN = sawFIN || segment.fin
            sawRST = sawRST || segment.rst
            if !segment.payload.isEmpty { segments.append(segment) }
        }

        func build() -> CapturedStream {
            // Without the SYN, the stream starts at the lowest sequence
            // number seen (within 2^31 of the first, as TCP's arithmetic).
            let base: UInt32
            if let initialSequence {
                base = initialSequence &+ 1
            } else if let first = segments.first {
                base = segments.reduce(first.sequenceNumber) { lowest, segment in
                    Int32(bitPattern: segment.sequenceNumber &- lowest) < 0 ? segment.sequenceNumber : lowest
                }
            } else {
                base = 0
            }
            var outOfOrder = 0
            var highestEnd = Int.min
            var placed: [(offset: Int, arrival: Int, segment: TCPSegment)] = []
            for (arrival, segment) in segments.enumerated() {
                let offset = Int(Int32(bitPattern: segment.sequenceNumber &- base))
                if offset < highestEnd { outOfOrder += 1 }
                highestEnd = max(highestEnd, offset + segment.payload.count)
                placed.append((offset, arrival, segment))
            }
            placed.sort { ($0.offset, $0.arrival) < ($1.offset, $1.arrival) }
            var bytes: [UInt8] = []
            var chunks: [Chunk] = []
            var retransmitted = 0
            var conflicting = 0
            var hole: (offset: Int, bytesBeyond: Int)?
            var latest = -Double.infinity
            for (index, item) in placed.enumerated() {
                var payload = item.segment.payload[...]
                var offset = item.offset
                if offset < 0 {
                    // Bytes from before the stream's start: a retransmission of the SYN's era.
                    payload = payload.dropFirst(-offset)
                    offset = 0
                    if payload.isEmpty { continue }
                }
                let end = offset + payload.count
                if offset > bytes.count {
                    let beyond = placed[index...].reduce(0) { $0 + max(0, $1.offset + $1.segment.payload.count - max(bytes.count, $1.offset)) }
                    hole = (bytes.count, beyond)
                    break
                }
                let overlap = min(end, bytes.count) - offset
                if overlap > 0 {
                    retransmitted += 1
                    for i in 0..<overlap where bytes[offset + i] != payload[payload.startIndex + i] { conflicting += 1 }
                }
                guard end > bytes.count else { continue }
                latest = max(latest, item.segment.time)
                chunks.append(Chunk(offset: bytes.count, time: latest, packetNumber: item.segment.packetNumber))
                bytes.append(contentsOf: payload.dropFirst(overlap))
            }
            return CapturedStream(
                sender: sender, bytes: bytes, chunks: chunks, sawStart: initialSequence != nil, sawFIN: sawFIN, sawRST: sawRST,
                retransmittedSegments: retransmitted, outOfOrderSegments: outOfOrder, conflictingBytes: conflicting, hole: hole)
        }
    }
}
