import KeyGateSystem
import KeyGateSockets

/// A TCP connection is the byte stream of every real channel: its reads
/// and writes already take a `Deadline` and throw `TimedOut`.
extension TCPConnection: ByteStream {
    public nonisolated var peerDescription: String { remoteAddress.description }
}
