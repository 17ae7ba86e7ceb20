import KeyGateSystem
import KeyGateNoise

extension SecureChannel {
    /// Runs the NNpsk0 handshake of an FTP data connection (PROTOCOL.md
    /// section 6) as the client (initiator) or the server (responder).
    /// Both handshake payloads are sent empty; there is no negotiation frame.
    /// - Throws: `ChannelError.handshakeFailed` when the psk differs (a
    ///   stranger, or a connection meant for another passive command).
    /// - Parameter beforeWriting: called before each message this side
    ///   writes once it has read one (the responder's message 2): where a
    ///   server commits to this connection. A throw ends the handshake.
    public func performDataConnectionHandshake(
        initiator: Bool, diffieHellman: any DiffieHellman, presharedKey: [UInt8], deadline: Deadline?,
        beforeWriting: @Sendable () throws -> Void = {}
    ) async throws -> SessionKeys {
        let protocolName = DataConnectionKey.protocolName(diffieHellman: diffieHellman)
        let handshake: HandshakeState
        do {
            handshake = try HandshakeState(
                protocolName: protocolName, initiator: initiator, prologue: KeyGateWire.ftpDataPrologue,
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil,
                presharedKeys: [presharedKey])
        } catch {
            throw ChannelError.handshakeFailed(error)
        }
        while !handshake.isComplete {
            do {
                if handshake.isMyTurnToWrite {
                    if !handshake.transcript.isEmpty { try beforeWriting() }
                    try await writeFrame(try handshake.writeMessage(payload: []))
                } else {
                    guard let message = try await readFrame(deadline: deadline) else {
                        throw ChannelError.unexpectedEndOfStream(while: "waiting for the data connection handshake")
                    }
                    _ = try handshake.readMessage(message)
                }
            } catch let error as NoiseError {
                throw ChannelError.handshakeFailed(error)
            }
        }
        let (initiatorToResponder, responderToInitiator): (CipherState, CipherState)
        do {
            (initiatorToResponder, responderToInitiator) = try handshake.split()
        } catch {
            throw ChannelError.handshakeFailed(error)
        }
        let keys = SessionKeys(
            suite: handshake.protocolName, handshakeHash: handshake.handshakeHash,
            sending: initiator ? initiatorToResponder : responderToInitiator,
            receiving: initiator ? responderToInitiator : initiatorToResponder,
            remoteStaticKey: [])
        establish(keys)
        return keys
    }

    /// Server side of the data-port move (PROTOCOL.md section 4): reads the
    /// first frame within `deadline` and checks that it decrypts to
    /// `RESUME` under `keys`. On success the channel adopts the keys (with
    /// the receiving nonce advanced); on any failure it throws and the
    /// caller's `keys` are untouched, so the rightful client can still come.
    public func acceptResume(keys: SessionKeys, deadline: Deadline?) async throws -> SessionKeys {
        guard var frame = try await readFrame(deadline: deadline) else {
            throw ChannelError.unexpectedEndOfStream(while: "waiting for RESUME")
        }
        var adopted = keys
        try Self.open(&frame, with: &adopted.receiving)
        guard frame == KeyGateWire.resumeMessage else {
            // Section 9: decrypts but is not RESUME = treated as a failure.
            throw ChannelError.unexpectedPayload("first data-port message is not RESUME")
        }
        establish(adopted)
        return adopted
    }

    /// Client side of the data-port move: the sealed `RESUME` frame, the
    /// client's first transport message (nonce 0). `keys` move on past it.
    /// The same frame is sent again on every reconnection (section 4.4).
    public static func resumeFrame(advancing keys: inout SessionKeys) throws -> [UInt8] {
        try seal(KeyGateWire.resumeMessage, with: &keys.sending)
    }

    /// Client side of the data-port move in one step, without reconnection:
    /// continues `keys` on this channel and sends `RESUME` as its first
    /// transport message.
    public func resume(keys: SessionKeys) async throws {
        var keys = keys
        let frame = try Self.resumeFrame(advancing: &keys)
        try await resume(frame: frame, keys: keys)
    }

    /// Client side of the data-port move: sends the sealed `RESUME` frame
    /// on this channel, which continues the session with `keys` (already
    /// advanced past that frame).
    public func resume(frame: [UInt8], keys: SessionKeys) async throws {
        establish(keys)
        try await writeSealedFrame(frame)
    }
}
