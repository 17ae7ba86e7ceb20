import KeyGateSystem
import KeyGateChannel
import KeyGateKeys
import KeyGateSockets

/// Why a client could not do what it was asked, mapped to the documented
/// exit statuses.
public enum ClientError: Error, CustomStringConvertible {
    /// The server refused: key not allowed, unknown service (exit 3); or
    /// busy (`retry`, exit 5).
    case denied(reason: String, retry: Bool)
    /// The server's key is not the pinned or known one (exit 4).
    case serverKeyMismatch(String)
    /// The server could not be reached or did not answer in time (exit 5).
    case unreachable(String)
    /// The server closed the connection during an IK handshake: most
    /// likely the pinned key is wrong (exit 1).
    case closedDuringHandshake(String)
    /// Anything else (exit 1).
    case failed(String)

    public var exitStatus: ExitStatus {
        switch self {
        case let .denied(_, retry): return retry ? .unreachable : .denied
        case .serverKeyMismatch: return .serverKeyMismatch
        case .unreachable: return .unreachable
        case .closedDuringHandshake, .failed: return .failure
        }
    }

    public var description: String {
        switch self {
        case let .denied(reason, retry):
            if reason.hasPrefix("clock skew") {
                return "denied by the server: \(reason). IK handshakes carry this machine's clock (PROTOCOL.md "
                    + "section 3.3): set the clock right (for example with NTP: timedatectl set-ntp true), "
                    + "or leave out --server-key to use the XX handshake, which carries no timestamp"
            }
            return retry ? "the server is busy (\(reason)); try again later" : "denied by the server: \(reason)"
        case let .serverKeyMismatch(message): return message
        case let .unreachable(message): return message
        case let .closedDuringHandshake(message): return message
        case let .failed(message): return message
        }
    }

    /// Classifies an error from the lower layers.
    public static func from(_ error: any Error, during activity: String) -> ClientError {
        switch error {
        case let error as ClientError:
            return error
        case is TimedOut:
            return .unreachable("\(activity): \(error)")
        case let error as KeyFileError:
            switch error {
            case .serverKeyChanged, .serverKeyNewAlgorithm: return .serverKeyMismatch(error.description)
            default: break
            }
            return .failed(error.description)
        case let error as SystemError:
            switch error {
            case .resolutionFailed: return .unreachable("\(activity): \(error)")
            case let .callFailed(call, _, _) where call == "connect": return .unreachable("\(activity): \(error)")
            default: return .failed("\(activity): \(error)")
            }
        case let error as ChannelError:
            return .failed("\(activity): \(error)")
        default:
            return .failed("\(activity): \(error)")
        }
    }
}
