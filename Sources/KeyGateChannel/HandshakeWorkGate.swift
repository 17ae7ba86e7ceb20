import KeyGateSystem

/// Admits the CPU work of a server handshake (its Diffie-Hellman
/// operations), one message at a time, so a server can share that work
/// fairly between the sources that ask for it: a flood from one address
/// then waits behind its own messages instead of everyone's.
///
/// `enter` may suspend until it is this handshake's turn; the work then
/// runs, and `leave` reports what it cost so the next turns can be weighed.
public protocol HandshakeWorkGate: Sendable {
    /// Waits for a turn. Throws `CancellationError` if cancelled while waiting.
    func enter() async throws -> HandshakeWorkTicket
    /// Ends the turn of `ticket`, which took `cost` of computing.
    func leave(_ ticket: HandshakeWorkTicket, cost: Duration)
}

/// One admitted turn of a `HandshakeWorkGate`; opaque to the handshake.
public struct HandshakeWorkTicket: Sendable {
    /// The gate's own bookkeeping (for example a virtual start time).
    public let value: Int64

    public init(value: Int64) {
        self.value = value
    }
}
