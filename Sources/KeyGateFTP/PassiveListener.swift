import KeyGateSystem
import KeyGateChannel
import KeyGateSockets

/// The listener opened by one EPSV or PASV (PROTOCOL.md section 6).
struct PassiveListener: Sendable, Identifiable {
    /// The number of the passive command within the session, counting
    /// only those that opened a listener (the psk input).
    let number: UInt64
    let listener: TCPListener

    /// Listeners are told apart by their number.
    var id: UInt64 { number }

    /// Waits until `lifetime` for the first connection that completes the
    /// NNpsk0 handshake for `number`; strangers are closed and logged, and
    /// each must finish its handshake within `handshakeTimeout`. Unverified
    /// connections are examined in two shares of `share` (those from
    /// `handshakeHost`, and the rest), a newer one replacing the oldest.
    static func awaitConnection(
        on listener: TCPListener, number: UInt64, lifetime: Duration, handshakeTimeout: Duration,
        authority: DataConnectionAuthority, handshakeHost: String, share: Int, failures: FailureLog
    ) async -> SecureChannel? {
        let port = listener.localAddress.port
        let acceptor = AuthenticatedAcceptor(listener: listener, handshakeHost: handshakeHost, share: share)
        return await acceptor.firstAuthentic(
            until: .now + lifetime,
            verify: { connection, claim in
                // NNpsk0 message 1 is the proof; once it checks out and
                // before message 2 tells the client it is connected, no
                // newer connection may replace this one.
                try await authority.accept(connection, passiveNumber: number, deadline: .now + handshakeTimeout) {
                    guard claim() else { throw AuthenticatedAcceptor.Replaced() }
                }
            },
            onStranger: { connection, error in
                failures.record(.strangerOnPassivePort, from: connection.remoteAddress.host, "stranger on passive port closed", [
                    ("port", "\(port)"), ("from", connection.remoteAddress.description), ("reason", "\(error)"),
                ])
            })
    }

    /// Closes the listener; a wait on it ends.
    func close() async {
        await listener.close()
    }
}
