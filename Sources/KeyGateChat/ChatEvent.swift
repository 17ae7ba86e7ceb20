import KeyGateChannel
import KeyGateSystem

/// A server-to-client chat message (PROTOCOL.md section 5).
public enum ChatEvent: Equatable, Sendable {
    /// `{"type":"msg","from":NAME,"text":T,"seq":N}`
    case message(from: String, text: String, seq: Int)
    /// `{"type":"joined","name":NAME}`
    case joined(String)
    /// `{"type":"left","name":NAME}`
    case left(String)
    /// `{"type":"who","names":[...]}`
    case who([String])
    /// `{"type":"error","error":TEXT}`
    case error(String)

    public var json: JSONValue {
        switch self {
        case let .message(from, text, seq):
            return .object([("type", .string("msg")), ("from", .string(from)), ("text", .string(text)), ("seq", .integer(seq))])
        case let .joined(name): return .object([("type", .string("joined")), ("name", .string(name))])
        case let .left(name): return .object([("type", .string("left")), ("name", .string(name))])
        case let .who(names): return .object([("type", .string("who")), ("names", .array(names.map { .string($0) }))])
        case let .error(text): return .object([("type", .string("error")), ("error", .string(text))])
        }
    }

    /// Parses a server message; nil for a valid JSON object of another type
    /// (clients ignore what they do not know).
    /// - Throws: `JSONParseError` for invalid JSON.
    public init?(parsing bytes: [UInt8]) throws {
        let value = try JSONValue.parse(bytes)
        switch value["type"]?.stringValue {
        case "msg":
            guard let from = value["from"]?.stringValue, let text = value["text"]?.stringValue,
                  let seq = value["seq"]?.intValue else { return nil }
            self = .message(from: from, text: text, seq: seq)
        case "joined":
            guard let name = value["name"]?.stringValue else { return nil }
            self = .joined(name)
        case "left":
            guard let name = value["name"]?.stringValue else { return nil }
            self = .left(name)
        case "who":
            guard let names = value["names"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
            self = .who(names)
        case "error":
            self = .error(value["error"]?.stringValue ?? "unspecified error")
        default:
            return nil
        }
    }

    /// One line for people: `[12] alice: hello`, `* bob joined`. What the
    /// server relays from other people (texts and names) is shown through
    /// `VisibleText`, so it cannot drive the terminal or hide characters.
    public var displayLine: String {
        switch self {
        case let .message(from, text, seq): return "[\(seq)] \(VisibleText.escaping(from)): \(VisibleText.escaping(text))"
        case let .joined(name): return "* \(VisibleText.escaping(name)) joined"
        case let .left(name): return "* \(VisibleText.escaping(name)) left"
        case let .who(names): return "* here: " + names.map(VisibleText.escaping).joined(separator: ", ")
        case let .error(text): return "! \(VisibleText.escaping(text))"
        }
    }
}
