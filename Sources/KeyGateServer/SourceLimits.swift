/// Per-source-address limits on the control port, checked when a
/// connection is accepted, before the server does any work for it
/// (PROTOCOL.md section 9): a source over a limit is closed at once.
public struct SourceLimits: Sendable, Equatable {
    /// Handshakes in progress at once from one address.
    public var handshakesInProgress: Int
    /// Handshakes per second one address may start, on average (a token
    /// bucket refilled at this rate).
    public var handshakeRate: Double
    /// Handshakes one address may start at once after a quiet spell (the
    /// bucket's size).
    public var handshakeBurst: Int
    /// Grants not yet resumed (each holds a data port) at once for one address.
    public var unresumedGrants: Int

    /// The defaults of `keygate serve`, in one place. They let one `keygate
    /// bench` (64 setups in flight, about a thousand per second) run
    /// unhindered; a flood from one address meets the limits, and what
    /// computing its handshakes still take is shared fairly with every
    /// other address (`HandshakeScheduler`).
    public static let defaults = SourceLimits(
        handshakesInProgress: 128, handshakeRate: 4000, handshakeBurst: 4000, unresumedGrants: 128)

    public init(handshakesInProgress: Int, handshakeRate: Double, handshakeBurst: Int, unresumedGrants: Int) {
        self.handshakesInProgress = handshakesInProgress
        self.handshakeRate = handshakeRate
        self.handshakeBurst = handshakeBurst
        self.unresumedGrants = unresumedGrants
    }

    /// Which limit a source met.
    public enum Limit: String, Sendable, CaseIterable {
        case handshakesInProgress = "handshakes in progress"
        case handshakeRate = "handshake rate"
        case unresumedGrants = "unresumed grants"
    }
}
