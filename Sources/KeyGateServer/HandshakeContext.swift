import KeyGateSystem
import KeyGateChannel
import KeyGateKeys
import KeyGateNoise

/// What every `HandshakeActor` of one server shares: the configuration,
/// the server's keys, the allow-list, the services, and the server-wide
/// state a handshake consults (IK freshness, the handshake scheduler, the
/// data ports, the session ledger).
struct HandshakeContext: Sendable {
    let configuration: ServerConfiguration
    /// The server's key pairs by DH function name, built once at start:
    /// no handshake recomputes a static public key.
    let keyPairs: [String: StaticKeyPair]
    let authorizedKeys: AuthorizedKeys
    let services: [String: any GateService]
    let ikFreshness: IKFreshness
    let scheduler: HandshakeScheduler
    let dataPorts: DataPortAllocator
    let sessions: SessionLedger
    let failures: FailureLog
    /// The `enroll` service: invites redeemed by unknown keys.
    let enrolment: EnrolmentDesk
    /// What the server counts (`--metrics`); nil for nothing.
    let metrics: ServerMetrics?
    let log: Log
    /// True once the server is shutting down: no more grants.
    let isShuttingDown: @Sendable () -> Bool
}
