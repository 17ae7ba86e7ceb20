import KeyGateNoise
import KeyGateSystem
import KeyGateCrypto
import KeyGateSockets

/// Opens FTP data connections for one session (PROTOCOL.md section 6)
/// without handing the session's secrets to the service that uses it: the
/// grant's `data_key` stays inside, and only authenticated channels come out.
public struct DataConnectionAuthority: Sendable {
    private let dataKey: SecretBytes
    private let diffieHellman: any DiffieHellman
    /// Receives each NNpsk0 message's trace (`--trace-handshake`, `--trace-file`).
    public var trace: (@Sendable (HandshakeTraceEvent) -> Void)?
    /// The lab keylog that receives each data connection's transport keys
    /// (`--keylog`); nil: none.
    public var keyLog: SessionKeyLog?
    /// Counts the payload bytes of the data connections (the server's metrics).
    public var meter: PayloadMeter?
    /// The source of this side's ephemeral keys: the kernel's, except with
    /// `--lab-fixed-ephemeral`.
    public var random: any RandomSource = SystemRandomSource()

    /// For a session whose grant carried `dataKey` (32 bytes) and whose
    /// suite uses the DH function `diffieHellman`.
    public init(dataKey: SecretBytes, diffieHellman: any DiffieHellman) {
        precondition(dataKey.count == KeyGateWire.dataKeyByteCount, "a data_key is 32 bytes")
        self.dataKey = dataKey
        self.diffieHellman = diffieHellman
    }

    /// Server side: runs the NNpsk0 responder handshake for passive command
    /// number `passiveNumber` on an accepted connection.
    /// - Parameter beforeAnswering: called once message 1 has proven the
    ///   psk, before message 2 is written; a throw ends the handshake.
    /// - Throws: `ChannelError` when the peer does not hold this session's
    ///   psk (a stranger) or misses the deadline, or what `beforeAnswering` throws.
    public func accept(
        _ stream: any ByteStream, passiveNumber: UInt64, deadline: Deadline?,
        beforeAnswering: @Sendable @escaping () throws -> Void = {}
    ) async throws -> SecureChannel {
        try await handshake(
            stream, initiator: false, passiveNumber: passiveNumber, deadline: deadline, beforeWriting: beforeAnswering)
    }

    /// Client side: runs the NNpsk0 initiator handshake for passive command
    /// number `passiveNumber` on a new connection to the passive port.
    public func connect(
        _ stream: any ByteStream, passiveNumber: UInt64, deadline: Deadline?
    ) async throws -> SecureChannel {
        try await handshake(stream, initiator: true, passiveNumber: passiveNumber, deadline: deadline)
    }

    /// Client side, the whole dial of section 6: connects to `address` and
    /// runs the initiator handshake; when the connection is refused, reset
    /// or closed before message 2 arrives (a stranger may have crowded it
    /// out), connects again with a new handshake until `reconnection` gives up.
    /// - Parameter timeout: limit for each connect and each handshake.
    /// - Throws: the last attempt's `SystemError` or `ChannelError`.
    public func dial(
        _ address: SocketAddress, passiveNumber: UInt64, timeout: Duration, reconnection: Reconnection
    ) async throws -> SecureChannel {
        try await reconnection.connect(to: address, timeout: timeout) { connection in
            try await connect(connection, passiveNumber: passiveNumber, deadline: .now + timeout)
        }
    }

    private func handshake(
        _ stream: any ByteStream, initiator: Bool, passiveNumber: UInt64, deadline: Deadline?,
        beforeWriting: @Sendable @escaping () throws -> Void = {}
    ) async throws -> SecureChannel {
        var psk = DataConnectionKey.presharedKey(dataKey: dataKey, passiveNumber: passiveNumber)
        defer { SecretBytes.wipe(&psk) }
        let channel = try await SecureChannel.dataConnectionHandshake(
            over: stream, initiator: initiator, diffieHellman: diffieHellman, presharedKey: psk, deadline: deadline,
            trace: trace, keyLog: keyLog, random: random, beforeWriting: beforeWriting)
        if let meter { await channel.count(with: meter) }
        return channel
    }
}
