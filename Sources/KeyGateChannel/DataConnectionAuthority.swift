/// Opens FTP data connections for one session (protocol-v1 section 6)
/// without handing the session's secrets to the service that uses it: the
/// handshake hash stays inside, and only authenticated channels come out.
public struct DataConnectionAuthority: Sendable {
    private let handshakeHash: [UInt8]
    private let diffieHellmanName: String

    /// For the session whose keys are `keys`.
    public init(keys: SessionKeys) {
        handshakeHash = keys.handshakeHash
        diffieHellmanName = keys.diffieHellmanName
    }

    /// Server side: runs the NNpsk0 responder handshake for passive command
    /// number `passiveNumber` on an accepted connection.
    /// - Throws: `ChannelError` when the peer does not hold this session's
    ///   psk (a stranger) or misses the deadline.
    public func accept(
        _ stream: any ByteStream, passiveNumber: UInt64, deadline: ContinuousClock.Instant?
    ) async throws -> SecureChannel {
        try await handshake(stream, initiator: false, passiveNumber: passiveNumber, deadline: deadline)
    }

    /// Client side: runs the NNpsk0 initiator handshake for passive command
    /// number `passiveNumber` on a new connection to the passive port.
    public func connect(
        _ stream: any ByteStream, passiveNumber: UInt64, deadline: ContinuousClock.Instant?
    ) async throws -> SecureChannel {
        try await handshake(stream, initiator: true, passiveNumber: passiveNumber, deadline: deadline)
    }

    private func handshake(
        _ stream: any ByteStream, initiator: Bool, passiveNumber: UInt64, deadline: ContinuousClock.Instant?
    ) async throws -> SecureChannel {
        let channel = SecureChannel(stream: stream)
        let psk = DataConnectionKey.presharedKey(handshakeHash: handshakeHash, passiveNumber: passiveNumber)
        _ = try await channel.performDataConnectionHandshake(
            initiator: initiator, diffieHellmanName: diffieHellmanName, presharedKey: psk, deadline: deadline)
        return channel
    }
}
