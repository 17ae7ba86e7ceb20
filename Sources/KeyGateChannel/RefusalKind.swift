/// Why the server refused a connection, as the `reason=` of its log line.
///
/// Every refusal is one line of the same shape, the source address first,
/// so that fail2ban (`contrib/fail2ban/keygate.conf`) and log pipelines
/// can match it:
///
///     2026-12-03T17:00:00.000Z WARN  refused source=203.0.113.9 reason=unknown-key detail="..." peer=... key=...
///
/// These names are part of the log's interface: they do not change.
public enum RefusalKind: String, Sendable, CaseIterable {
    /// A key the allow-list does not list.
    case unknownKey = "unknown-key"
    /// A key `revoked_keys` lists.
    case revoked
    /// A listed key its options keep out (services, from, expiry-time), or
    /// a line or revocation file that fails closed.
    case notPermitted = "not-permitted"
    /// An address over one of its per-source limits.
    case sourceLimit = "source-limit"
    /// An IK message 1 seen before.
    case ikReplayed = "ik-replayed"
    /// An IK message 1 dated too far from the server's clock, or before
    /// the server started.
    case ikStale = "ik-stale"
    /// An IK message 1 refused because the memory of recent ones is full
    /// (the server is busy, not the client at fault).
    case ikBusy = "ik-busy"
    /// A connection on a data or passive port that did not prove it holds
    /// the session's key.
    case dataPortStranger = "data-port-stranger"
    /// A handshake that failed (garbage, another protocol, a peer that
    /// vanished mid-way).
    case handshakeFailed = "handshake-failed"
    /// A service the server does not offer.
    case unknownService = "unknown-service"
    /// The server's session limit (`--max-sessions`) reached.
    case sessionLimit = "session-limit"
    /// The key's session limit (`--max-key-sessions`) reached.
    case keySessionLimit = "key-session-limit"
    /// No free data port in the range in time.
    case noDataPort = "no-data-port"
    /// An enrolment with an unknown, used or expired invite, or a
    /// malformed request.
    case badInvite = "bad-invite"
    /// An address with too many failed enrolments.
    case enrolmentLimit = "enrolment-limit"

    /// The event of every refusal line.
    public static let event = "refused"

    /// The fields every refusal line starts with, in this order:
    /// `source=ADDRESS reason=KIND detail=...`.
    public func fields(source: String, detail: String) -> [(String, String)] {
        [("source", source), ("reason", rawValue), ("detail", detail)]
    }
}
