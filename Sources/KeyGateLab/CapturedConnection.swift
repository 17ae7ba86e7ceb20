/// One TCP connection of a capture: its two reassembled directions.
public struct CapturedConnection: Sendable {
    /// The side that sent the SYN (or, when the capture missed it, the
    /// side that sent the first bytes).
    public let client: TCPEndpoint
    public let server: TCPEndpoint
    /// Client to server.
    public let fromClient: CapturedStream
    /// Server to client.
    public let fromServer: CapturedStream
    /// The time of its first packet.
    public let startTime: Double
    /// Whether the client was told by the SYN (true) or guessed.
    public let clientIsKnown: Bool
}
