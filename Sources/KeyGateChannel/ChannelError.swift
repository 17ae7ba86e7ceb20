import KeyGateSystem
import KeyGateNoise

/// What went wrong on an encrypted channel: framing, negotiation, handshake
/// or transport. Descriptions are for local logs; peers only ever see the
/// generic denial the protocol defines.
public enum ChannelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The stream ended inside a frame (PROTOCOL.md section 1).
    case truncatedFrame(expected: Int, received: Int)
    /// The stream ended where a frame was required.
    case unexpectedEndOfStream(while: String)
    /// A message does not fit in one frame.
    case frameTooLarge(Int)
    /// The peer proposed a protocol name this side does not accept.
    case unsupportedSuite(String)
    /// The handshake failed in Noise (bad message, wrong key, tampering).
    case handshakeFailed(NoiseError)
    /// A handshake payload the protocol says must be empty was not, or a
    /// service name was not valid UTF-8.
    case unexpectedPayload(String)
    /// The server's static key is not the pinned or known one.
    case serverKeyRejected(String)
    /// A transport message failed to decrypt: the session must end.
    case decryptionFailed
    /// A data stream ended without the authenticated end-of-data message.
    case missingEndOfData
    /// The channel was used after it was closed.
    case closed
    /// The channel was used in a way its contract forbids (two readers at once).
    case misuse(String)
    /// The server judged an IK message 1 and closed without answering it
    /// (a replay, PROTOCOL.md section 3.3).
    case firstMessageRefused

    public var description: String {
        switch self {
        case let .truncatedFrame(expected, received):
            return "connection closed inside a frame: expected \(expected) bytes, received \(received)"
        case let .unexpectedEndOfStream(activity):
            return "connection closed by the peer while \(activity)"
        case let .frameTooLarge(size):
            return "message of \(size) bytes does not fit in a frame (at most 65535)"
        case let .unsupportedSuite(name):
            return "protocol '\(name)' is not accepted"
        case let .handshakeFailed(error):
            return "handshake failed: \(error)"
        case let .unexpectedPayload(what):
            return "protocol violation: \(what)"
        case let .serverKeyRejected(reason):
            return reason
        case .decryptionFailed:
            return "a message failed to decrypt: it was altered, replayed or reordered"
        case .missingEndOfData:
            return "the data stream ended without its end-of-data message: transfer incomplete"
        case .closed:
            return "the channel is closed"
        case let .misuse(what):
            return "channel misuse: \(what)"
        case .firstMessageRefused:
            return "IK message 1 refused without an answer"
        }
    }
}
