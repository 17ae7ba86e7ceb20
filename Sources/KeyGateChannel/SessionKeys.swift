import KeyGateSystem
import KeyGateNoise

/// What a completed KeyGate handshake leaves behind: the transport ciphers
/// of this side and the facts both sides agreed on. Passed from the control
/// connection to the data connection (PROTOCOL.md section 4).
public struct SessionKeys: Sendable {
    /// The negotiated protocol name.
    public let protocolName: String
    /// The Noise handshake hash h, unique to this session. It is public
    /// (anyone who saw the handshake can compute it): fit for logs and
    /// channel binding, never for a key.
    public let handshakeHash: [UInt8]
    /// This side's sending cipher (initiator-to-responder for a client).
    public var sending: CipherState
    /// This side's receiving cipher.
    public var receiving: CipherState
    /// The peer's static public key (the client's key on a server).
    public let remoteStaticKey: [UInt8]

    public init(protocolName: String, handshakeHash: [UInt8], sending: CipherState, receiving: CipherState, remoteStaticKey: [UInt8]) {
        self.protocolName = protocolName
        self.handshakeHash = handshakeHash
        self.sending = sending
        self.receiving = receiving
        self.remoteStaticKey = remoteStaticKey
    }

    /// The DH function name of the session's suite (`25519`, `FFDHE2048`).
    public var diffieHellmanName: String {
        (try? NoiseProtocolName(protocolName))?.diffieHellman.name ?? "25519"
    }
}
