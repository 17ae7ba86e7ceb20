import KeyGateSystem
import Glibc

/// What went wrong with a socket or a system call.
///
/// Every case names the operation and, where there is one, the address it
/// was about, so the message alone says what failed and where:
/// `connect to 127.0.0.1:7700: connection refused`.
public enum SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The system call `call` (`"connect"`, `"bind"`, `"read"`, ...) failed
    /// with `errno`; `address` is the peer or local address concerned.
    case callFailed(call: String, errno: Int32, address: SocketAddress?)
    /// The socket was closed, before or while the operation waited.
    case closed
    /// Every port of `range` on `host` is taken.
    case portRangeExhausted(host: String, range: ClosedRange<UInt16>)
    /// The peer closed the stream after `received` of the `expected` bytes.
    case unexpectedEndOfStream(expected: Int, received: Int)
    /// The text is not an IPv4 or IPv6 literal or `localhost`, with an
    /// optional port.
    case invalidAddress(String)
    /// The host name did not resolve to an address.
    case resolutionFailed(host: String, reason: String)
    /// A second `operation` was started while one is still waiting on the
    /// same socket: a programming error in the caller, reported instead of
    /// letting two readers interleave the stream.
    case operationInProgress(String)

    /// The `errno` of a failed system call, nil for the other cases.
    public var errno: Int32? {
        if case let .callFailed(_, code, _) = self { return code }
        return nil
    }

    /// One line for a log or an error message: what failed, where, and
    /// for errors an operator can fix, what to do.
    public var description: String {
        switch self {
        case let .callFailed(call, code, address):
            return "\(Self.subject(call, address)): \(Self.message(for: code))\(Self.hint(for: code, call: call))"
        case .closed:
            return "the socket is closed"
        case let .portRangeExhausted(host, range):
            let hostText = host.contains(":") ? "[\(host)]" : host
            return "bind \(hostText):\(range.lowerBound)-\(range.upperBound): no free port in the range"
        case let .unexpectedEndOfStream(expected, received):
            return "the peer closed the connection after \(received) of \(expected) expected bytes"
        case let .invalidAddress(text):
            return "invalid address '\(text)': expected an IPv4 or IPv6 literal or localhost, "
                + "with an optional port (127.0.0.1:7700, [::1]:7700)"
        case let .resolutionFailed(host, reason):
            return "cannot resolve host '\(host)': \(reason)"
        case let .operationInProgress(operation):
            return "another \(operation) is already waiting on this socket: only one \(operation) may be pending at a time"
        }
    }

    /// "connect to 1.2.3.4:5", "bind 0.0.0.0:7700", "read from ...".
    static func subject(_ operation: String, _ address: SocketAddress?) -> String {
        guard let address else { return operation }
        switch operation {
        case "connect", "write", "send": return "\(operation) to \(address)"
        case "read", "recv": return "\(operation) from \(address)"
        case "accept", "listen": return "\(operation) on \(address)"
        case "bind": return "bind \(address)"
        default: return "\(operation) (\(address))"
        }
    }

    /// strerror's text with a lowercase first letter, as it reads after a colon.
    private static func message(for code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        let message = String(cString: text)
        guard let first = message.first else { return "errno \(code)" }
        return first.lowercased() + message.dropFirst()
    }

    /// What to do about the errors an operator can fix.
    private static func hint(for code: Int32, call: String) -> String {
        switch code {
        case EMFILE, ENFILE:
            return " (raise the open-file limit, e.g. ulimit -n 65536)"
        case EADDRINUSE:
            return " (another socket is bound to this port: choose another or stop it)"
        case EADDRNOTAVAIL where call == "bind":
            return " (this machine has no such local address)"
        case EADDRNOTAVAIL:
            return " (no free local port: too many connections to this address)"
        case EACCES:
            return " (ports below 1024 need privileges)"
        default:
            return ""
        }
    }
}
