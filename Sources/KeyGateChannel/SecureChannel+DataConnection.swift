import KeyGateSystem
import KeyGateNoise
import KeyGateCrypto

extension SecureChannel {
    /// Runs the NNpsk0 handshake of an FTP data connection (PROTOCOL.md
    /// section 6) on `stream` as the client (initiator) or the server
    /// (responder). Both handshake payloads are sent empty; there is no
    /// negotiation frame. The caller closes `stream` on failure.
    /// - Throws: `ChannelError.handshakeFailed` when the psk differs (a
    ///   stranger, or a connection meant for another passive command).
    /// - Parameter trace: receives each message's trace.
    /// - Parameter keyLog: the lab keylog that receives the connection's
    ///   transport keys (`--keylog`); nil: none.
    /// - Parameter random: the source of this side's ephemeral key (the
    ///   kernel's, except with `--lab-fixed-ephemeral`).
    /// - Parameter beforeWriting: called before each message this side
    ///   writes once it has read one (the responder's message 2): where a
    ///   server commits to this connection. A throw ends the handshake.
    public static func dataConnectionHandshake(
        over stream: any ByteStream, initiator: Bool, diffieHellman: any DiffieHellman, presharedKey: [UInt8],
        deadline: Deadline?, trace: (@Sendable (HandshakeTraceEvent) -> Void)? = nil, keyLog: SessionKeyLog? = nil,
        random: any RandomSource = SystemRandomSource(), beforeWriting: @Sendable @escaping () throws -> Void = {}
    ) async throws -> SecureChannel {
        let name: NoiseProtocolName
        do {
            name = try NoiseProtocolName(DataConnectionKey.protocolName(diffieHellman: diffieHellman))
        } catch {
            throw ChannelError.handshakeFailed(error)
        }
        var driver = NoiseHandshakeDriver(
            protocolName: name, initiator: initiator, prologue: KeyGateWire.ftpDataPrologue, localStaticKeyPair: nil,
            presharedKeys: [presharedKey], random: random, deadline: deadline, trace: trace)
        driver.keyLog = keyLog
        var frames = FramedStream(stream: stream)
        let keys = try await driver.run(on: &frames, steps: .init(payload: { index, _ in
            if index > 0 { try beforeWriting() }
            return []
        }))
        return SecureChannel(continuing: frames, keys: keys)
    }

    /// Server side of the data-port move (PROTOCOL.md section 4): reads the
    /// first frame on `stream` within `deadline` and checks that it
    /// decrypts to `RESUME` under `keys`. On success the channel continues
    /// with the keys (the receiving nonce advanced); on any failure it
    /// throws and the caller's `keys` are untouched, so the rightful client
    /// can still come. The caller closes `stream` on failure.
    public static func acceptResume(over stream: any ByteStream, keys: SessionKeys, deadline: Deadline?) async throws -> SecureChannel {
        var frames = FramedStream(stream: stream)
        guard var frame = try await frames.readFrame(deadline: deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for RESUME")
        }
        var adopted = keys
        try open(&frame, with: &adopted.receiving)
        guard frame == KeyGateWire.resumeMessage else {
            // Section 9: decrypts but is not RESUME = treated as a failure.
            throw ChannelError.unexpectedPayload("first data-port message is not RESUME")
        }
        return SecureChannel(continuing: frames, keys: adopted)
    }

    /// Client side of the data-port move: the sealed `RESUME` frame, the
    /// client's first transport message (nonce 0). `keys` move on past it.
    /// The same frame is sent again on every reconnection (section 4.4).
    public static func resumeFrame(advancing keys: inout SessionKeys) throws -> [UInt8] {
        try seal(KeyGateWire.resumeMessage, with: &keys.sending)
    }

    /// Client side of the data-port move in one step, without reconnection:
    /// continues `keys` on `stream` and sends `RESUME` as its first
    /// transport message.
    public static func resume(over stream: any ByteStream, keys: SessionKeys) async throws -> SecureChannel {
        var keys = keys
        let frame = try resumeFrame(advancing: &keys)
        return try await resume(over: stream, frame: frame, keys: keys)
    }

    /// Client side of the data-port move: sends the sealed `RESUME` frame
    /// on `stream`, whose channel continues the session with `keys`
    /// (already advanced past that frame).
    public static func resume(over stream: any ByteStream, frame: [UInt8], keys: SessionKeys) async throws -> SecureChannel {
        let channel = SecureChannel(stream: stream, keys: keys)
        try await channel.writeSealed(frame)
        return channel
    }
}
