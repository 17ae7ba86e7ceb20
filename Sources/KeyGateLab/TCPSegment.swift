/// One TCP segment taken from a captured packet.
public struct TCPSegment: Sendable {
    public let source: TCPEndpoint
    public let destination: TCPEndpoint
    public let sequenceNumber: UInt32
    public let syn: Bool
    public let ack: Bool
    public let fin: Bool
    public let rst: Bool
    public let payload: [UInt8]
    /// Whether the capture cut the packet short, so that `payload` is not
    /// all the segment carried.
    public let isCut: Bool
    /// The packet it came from (number in the file) and its time.
    public let packetNumber: Int
    public let time: Double

    public init(
        source: TCPEndpoint, destination: TCPEndpoint, sequenceNumber: UInt32, syn: Bool, ack: Bool, fin: Bool, rst: Bool,
        payload: [UInt8], isCut: Bool, packetNumber: Int, time: Double
    ) {
        self.source = source
        self.destination = destination
        self.sequenceNumber = sequenceNumber
        self.syn = syn
        self.ack = ack
        self.fin = fin
        self.rst = rst
        self.payload = payload
        self.isCut = isCut
        self.packetNumber = packetNumber
        self.time = time
    }
}
