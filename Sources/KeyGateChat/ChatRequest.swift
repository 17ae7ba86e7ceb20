import KeyGateChannel
import KeyGateSystem

/// A client-to-server chat message (PROTOCOL.md section 5).
public enum ChatRequest: Equatable, Sendable {
    /// `{"type":"say","text":T}`
    case say(String)
    /// `{"type":"who"}`
    case who
    /// `{"type":"bye"}`
    case bye

    public var json: JSONValue {
        switch self {
        case let .say(text): return .object([("type", .string("say")), ("text", .string(text))])
        case .who: return .object([("type", .string("who"))])
        case .bye: return .object([("type", .string("bye"))])
        }
    }

    /// Why a request was refused; `description` is the text of the
    /// `{"type":"error"}` reply.
    public enum Problem: Error, Equatable, CustomStringConvertible {
        case malformed(String)
        case unknownType(String)

        public var description: String {
            switch self {
            case let .malformed(reason): return "malformed request: \(reason)"
            case let .unknownType(type): return "unknown type '\(type.prefix(40))'"
            }
        }
    }

    /// Parses a request.
    /// - Throws: `Problem` for anything that is not a valid request.
    public init(parsing bytes: [UInt8]) throws(Problem) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(bytes)
        } catch {
            throw .malformed(error.description)
        }
        guard case .object = value else { throw .malformed("expected a JSON object") }
        guard let type = value["type"]?.stringValue else { throw .malformed("missing \"type\"") }
        switch type {
        case "say":
            guard let text = value["text"]?.stringValue else { throw .malformed("\"say\" needs a \"text\" string") }
            self = .say(text)
        case "who": self = .who
        case "bye": self = .bye
        default: throw .unknownType(type)
        }
    }
}
