import KeyGateChannel
import KeyGateSockets
import Synchronization

/// Accepts connections on a listener until one proves it holds the
/// session's secrets: the session's data port (protocol-v1 section 4) and
/// FTP passive ports (section 6) both work this way.
///
/// Candidates are checked concurrently, so a stranger that connects and
/// stays silent holds up nobody; strangers are closed and the listener
/// keeps waiting. The listener is closed on every exit.
public struct AuthenticatedAcceptor: Sendable {
    /// How a candidate proves itself: a channel on success, or a throw
    /// (the candidate is then closed and reported).
    public typealias Verification = @Sendable (TCPConnection) async throws -> SecureChannel
    /// Told about each stranger: its connection and why it failed.
    public typealias StrangerReport = @Sendable (TCPConnection, any Error) -> Void

    public let listener: TCPListener
    /// At most this many unverified candidates at once; more are closed
    /// at once.
    public let maximumPending: Int

    public init(listener: TCPListener, maximumPending: Int) {
        self.listener = listener
        self.maximumPending = maximumPending
    }

    /// The first candidate that passes `verify` before `deadline`, or nil
    /// when none did (deadline, listener closed by someone else, or task
    /// cancelled).
    public func firstAuthentic(
        until deadline: ContinuousClock.Instant, verify: @escaping Verification,
        onStranger: @escaping StrangerReport
    ) async -> SecureChannel? {
        let listener = self.listener
        let maximumPending = self.maximumPending
        let pending = PendingCount()
        let winner = await withTaskGroup(of: SecureChannel?.self) { group -> SecureChannel? in
            while true {
                let remaining = deadline - .now
                guard remaining > .zero else { break }
                let connection: TCPConnection
                do {
                    connection = try await listener.accept(timeout: remaining)
                } catch {
                    break  // closed by a winner, expired, or cancelled
                }
                guard pending.count.add(1, ordering: .relaxed).newValue <= maximumPending else {
                    pending.count.subtract(1, ordering: .relaxed)
                    await connection.close()
                    continue
                }
                group.addTask {
                    defer { pending.count.subtract(1, ordering: .relaxed) }
                    do {
                        let channel = try await verify(connection)
                        // The first winner closes the listener, which ends
                        // the accept loop.
                        await listener.close()
                        return channel
                    } catch {
                        if !(error is CancellationError) { onStranger(connection, error) }
                        await connection.close()
                        return nil
                    }
                }
            }
            group.cancelAll()
            var winner: SecureChannel?
            for await candidate in group {
                guard let candidate else { continue }
                if winner == nil {
                    winner = candidate
                } else {
                    await candidate.close()
                }
            }
            return winner
        }
        await listener.close()
        return winner
    }
}

/// The number of candidates being verified, shared with their tasks.
private final class PendingCount: Sendable {
    let count = Atomic<Int>(0)
}
