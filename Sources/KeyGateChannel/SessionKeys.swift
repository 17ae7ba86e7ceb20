import KeyGateSystem
import KeyGateNoise

/// What a completed KeyGate handshake leaves behind: the transport ciphers
/// of this side and the facts both sides agreed on. Passed from the control
/// connection to the data connection (PROTOCOL.md section 4).
public struct SessionKeys: Sendable {
    /// The negotiated protocol, parsed once: its pattern and DH function.
    public let suite: NoiseProtocolName
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

    public init(suite: NoiseProtocolName, handshakeHash: [UInt8], sending: CipherState, receiving: CipherState, remoteStaticKey: [UInt8]) {
        self.suite = suite
        self.handshakeHash = handshakeHash
        self.sending = sending
        self.receiving = receiving
        self.remoteStaticKey = remoteStaticKey
    }

    /// The negotiated protocol name (`Noise_XX_25519_ChaChaPoly_SHA256`).
    public var protocolName: String { suite.description }

    /// The DH function of the session's suite, which its data connections
    /// use too.
    public var diffieHellman: any DiffieHellman { suite.diffieHellman }
}
