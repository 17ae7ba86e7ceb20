import KeyGateChannel

/// What `keygate decode` found in a capture: every TCP connection, and in
/// each KeyGate connection every frame.
public struct CaptureReport: Sendable {
    /// What one connection is.
    public enum ConnectionKind: Sendable, Equatable {
        /// A control connection: negotiation, handshake, grant (PROTOCOL.md section 3).
        case control(protocolName: String)
        /// A session's data-port connection: RESUME, then the service (section 4).
        case sessionData
        /// An FTP data connection: NNpsk0, then the data (section 6).
        case ftpData(protocolName: String)
        /// Not KeyGate traffic, and why not.
        case other(String)

        public var isKeyGate: Bool {
            if case .other = self { return false }
            return true
        }
    }

    /// What one frame is.
    public enum FrameRole: Sendable, Equatable {
        case negotiation
        /// Handshake message `n` (from 1).
        case handshake(Int)
        /// Transport message `n` of its direction on this connection (from 1).
        case transport(Int)
    }

    /// One KeyGate frame.
    public struct Frame: Sendable {
        /// Seconds since the capture's first packet, when its last byte arrived.
        public let time: Double
        /// The packet that completed it.
        public let packetNumber: Int
        public let fromClient: Bool
        /// The frame's payload (without the 2-byte length).
        public let payload: [UInt8]
        public let role: FrameRole
        /// One line saying what it is, then details (tokens and public values).
        public let summary: String
        public let details: [String]
        /// Handshake frames: the public keys sent in clear (`e` tokens).
        public let publicKeys: [[UInt8]]
        /// Transport frames: the plaintext, when the keylog opened it, and the nonce that did.
        public let plaintext: [UInt8]?
        public let nonce: UInt64?
        /// Why a transport frame (or a handshake payload) was not decrypted.
        public let undecrypted: String?
    }

    /// One TCP connection.
    public struct Connection: Sendable {
        public let number: Int
        public let client: TCPEndpoint
        public let server: TCPEndpoint
        public let kind: ConnectionKind
        /// The keylog session (from 1, in file order) whose keys open it, if any.
        public let keyLogSession: Int?
        public let frames: [Frame]
        /// About the TCP streams: retransmissions, holes, a frame cut by the end.
        public let notes: [String]
        public let bytesFromClient: Int
        public let bytesFromServer: Int
    }

    public let linkType: PacketDissector.LinkType
    public let packetCount: Int
    /// Packets that held no TCP segment, by reason.
    public let skippedPackets: [(reason: String, count: Int)]
    public let connections: [Connection]
    /// Whether a keylog was given.
    public let usedKeyLog: Bool

    /// The KeyGate connections.
    public var keyGateConnections: [Connection] { connections.filter(\.kind.isKeyGate) }
}
