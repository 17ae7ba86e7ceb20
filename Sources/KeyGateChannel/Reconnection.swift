import KeyGateSystem
import Glibc
import KeyGateSockets

/// When a client connects again (PROTOCOL.md sections 4.4 and 6): its data
/// connection was refused, reset or closed before the server acknowledged
/// it, which is what a server does to the oldest unverified connection when
/// strangers crowd the port. It waits `pause` and tries again, until
/// `deadline`. A connection that stays open without an answer is not cut:
/// its timeout is a failure, never a reason to reconnect.
public struct Reconnection: Sendable {
    /// No new attempt starts after this.
    public let deadline: Deadline
    /// The wait before each new attempt (at least 100 ms by the protocol).
    public let pause: Duration

    public init(until deadline: Deadline, pause: Duration = Timeouts.reconnectPause) {
        self.deadline = deadline
        self.pause = max(pause, Timeouts.reconnectPause)
    }

    /// A single attempt, for callers that must not reconnect.
    public static let never = Reconnection(until: Deadline(nanoseconds: 0))

    /// Runs `attempt` until it succeeds, fails in a way that is not a cut,
    /// or the deadline leaves no room for another try.
    /// - Throws: the last attempt's error, or `CancellationError`.
    public func run<T: Sendable>(_ attempt: () async throws -> T) async throws -> T {
        while true {
            do {
                return try await attempt()
            } catch {
                guard Self.isCut(error), Deadline.now + pause < deadline else { throw error }
                try await Task.sleep(for: pause)
            }
        }
    }

    /// Connects to `address` and runs `attempt` on the connection, as `run`
    /// does: again on a new connection while the last one was cut. A
    /// connection whose attempt fails is closed.
    /// - Parameter timeout: limit for each connect.
    public func connect<T: Sendable>(
        to address: SocketAddress, timeout: Duration, _ attempt: (TCPConnection) async throws -> T
    ) async throws -> T {
        try await run {
            let connection = try await TCPConnection.connect(to: address, deadline: .after(timeout))
            do {
                return try await attempt(connection)
            } catch {
                await connection.close()
                throw error
            }
        }
    }

    /// Whether `error` means the connection was refused, reset or closed
    /// by the other side (as opposed to a timeout, a failed decryption or
    /// a protocol violation).
    public static func isCut(_ error: any Error) -> Bool {
        switch error {
        case let error as ChannelError:
            switch error {
            case .unexpectedEndOfStream, .truncatedFrame, .missingEndOfData: return true
            default: return false
            }
        case let error as SystemError:
            switch error {
            case .unexpectedEndOfStream: return true
            case let .callFailed(_, code, _): return [ECONNREFUSED, ECONNRESET, EPIPE, ECONNABORTED].contains(code)
            default: return false
            }
        default:
            return false
        }
    }
}
