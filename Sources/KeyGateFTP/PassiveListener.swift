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

    /// Closes the listener; a wait on it ends.
    func close() async {
        await listener.close()
    }
}
