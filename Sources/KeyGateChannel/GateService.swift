import KeyGateSystem
import KeyGateSockets

/// A service that runs over resumed sessions (chat, FTP).
///
/// A service receives an encrypted channel and the peer's identity, never
/// a key: what it needs of the session's secrets (FTP data connections)
/// comes through `ServiceContext.dataConnections`.
public protocol GateService: Sendable {
    /// The name clients request in the handshake (`chat`, `ftp`).
    var name: String { get }
    /// Whether the service opens data connections of its own (FTP): its
    /// grants then carry a fresh `data_key` (PROTOCOL.md section 3.5).
    var usesDataConnections: Bool { get }
    /// Serves one session until it ends. Returns when the client leaves,
    /// on any error, or when the task is cancelled (server shutdown); the
    /// server closes the channel afterwards.
    func serve(_ context: ServiceContext) async
    /// Called once when the server begins to shut down, before sessions are
    /// cancelled: tell the clients.
    func prepareForShutdown() async
}

extension GateService {
    public var usesDataConnections: Bool { false }
}

/// What a service gets for one session.
public struct ServiceContext: Sendable {
    /// The session's encrypted channel on its data port, after RESUME.
    public let channel: SecureChannel
    /// Who the client is.
    public let peer: PeerIdentity
    /// A server-wide number for logs.
    public let sessionID: Int
    /// Opens FTP data connections keyed by this session's `data_key`; nil
    /// for a service whose grants carry none.
    public let dataConnections: DataConnectionAuthority?
    /// Free ports of the data range, for passive listeners.
    public let dataPorts: DataPortAllocator
    /// The local address of the client's control connection: data listeners
    /// bind here (PROTOCOL.md section 9).
    public let localHost: String
    public let log: Log
    /// Where repeated failures (strangers on passive ports) are summarised.
    public let failures: FailureLog
    /// Told the outcome of each file transfer (`complete`, `aborted`,
    /// `failed`), for the server's metrics.
    public let transferEnded: @Sendable (_ outcome: String) -> Void

    public init(
        channel: SecureChannel, peer: PeerIdentity, sessionID: Int, dataConnections: DataConnectionAuthority?,
        dataPorts: DataPortAllocator, localHost: String, log: Log, failures: FailureLog,
        transferEnded: @escaping @Sendable (_ outcome: String) -> Void = { _ in }
    ) {
        self.transferEnded = transferEnded
        self.channel = channel
        self.peer = peer
        self.sessionID = sessionID
        self.dataConnections = dataConnections
        self.dataPorts = dataPorts
        self.localHost = localHost
        self.log = log
        self.failures = failures
    }
}
