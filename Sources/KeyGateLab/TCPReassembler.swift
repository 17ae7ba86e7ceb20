/// Sorts TCP segments into connections and reassembles each direction.
///
/// A connection is the pair of endpoints; a SYN on the same pair with a new
/// initial sequence number starts a new connection (the port was reused).
public struct TCPReassembler: Sendable {
    private struct Pending {
        var client: TCPEndpoint
        var server: TCPEndpoint
        var clientIsKnown: Bool
        var fromClient: CapturedStream.Builder
        var fromServer: CapturedStream.Builder
        let startTime: Double
    }

    private struct Key: Hashable {
        let low: TCPEndpoint
        let high: TCPEndpoint

        init(_ a: TCPEndpoint, _ b: TCPEndpoint) {
            let aFirst = (a.address.lexicographicallyPrecedes(b.address)) || (a.address == b.address && a.port <= b.port)
            (low, high) = aFirst ? (a, b) : (b, a)
        }
    }

    private var pending: [Pending] = []
    private var current: [Key: Int] = [:]

    public init() {}

    /// Adds one segment, in capture order.
    public mutating func add(_ segment: TCPSegment) {
        let key = Key(segment.source, segment.destination)
        let opening = segment.syn && !segment.ack
        if let index = current[key] {
            let existing = pending[index]
            let reused = opening && (existing.fromClient.initialSequence.map { $0 != segment.sequenceNumber } ?? !existing.fromClient.segments.isEmpty)
            if !reused {
                append(segment, to: index)
                return
            }
        }
        // A new connection: the SYN's sender is the client; a SYN-ACK's
        // receiver is; otherwise guess the first sender.
        let client = segment.syn && segment.ack ? segment.destination : segment.source
        let server = client == segment.source ? segment.destination : segment.source
        pending.append(Pending(
            client: client, server: server, clientIsKnown: segment.syn,
            fromClient: CapturedStream.Builder(sender: client), fromServer: CapturedStream.Builder(sender: server),
            startTime: segment.time))
        current[key] = pending.count - 1
        append(segment, to: pending.count - 1)
    }

    private mutating func append(_ segment: TCPSegment, to index: Int) {
        if segment.source == pending[index].client {
            pending[index].fromClient.add(segment)
        } else {
            pending[index].fromServer.add(segment)
        }
    }

    /// The connections so far, in the order their first packets were captured.
    public var connections: [CapturedConnection] {
        pending.map { connection in
            CapturedConnection(
                client: connection.client, server: connection.server,
                fromClient: connection.fromClient.build(), fromServer: connection.fromServer.build(),
                startTime: connection.startTime, clientIsKnown: connection.clientIsKnown)
        }
    }
}
