import KeyGateChannel
import KeyGateSystem

/// A client-to-server chat message: protocol v2 section 5 (`say`, `who`,
/// `bye`) and KeyGate's extensions (PROTOCOL.md, "Chat extensions").
public enum ChatRequest: Equatable, Sendable {
    /// `{"type":"say","text":T,"room":R}`; without `room`, the default room.
    case say(String, room: String? = nil)
    /// `{"type":"me","text":T,"room":R}`: an action, `* alice waves`.
    case me(String, room: String? = nil)
    /// `{"type":"who","room":R}`; without `room`, the default room.
    case who(room: String? = nil)
    /// `{"type":"join","room":R}`: enters the room, created if new.
    case join(String)
    /// `{"type":"part","room":R}`: leaves the room.
    case part(String)
    /// `{"type":"rooms"}`: the rooms and their member counts.
    case rooms
    /// `{"type":"private","to":NAME,"text":T}`: a private message.
    case privateMessage(to: String, text: String)
    /// `{"type":"away","reason":R}`
    case away(String?)
    /// `{"type":"back"}`
    case back
    /// `{"type":"whois","name":NAME}`
    case whois(String)
    /// `{"type":"verify","room":R}`: the room's transcript head.
    case verify(room: String? = nil)
    /// `{"type":"bye"}`
    case bye

    /// A `who` for the default room, as protocol v2 writes it.
    public static let who = ChatRequest.who(room: nil)

    public var json: JSONValue {
        func object(_ type: String, _ members: [(String, JSONValue)] = []) -> JSONValue {
            .object([("type", .string(type))] + members)
        }
        func room(_ room: String?) -> [(String, JSONValue)] { room.map { [("room", .string($0))] } ?? [] }
        switch self {
        case let .say(text, name): return object("say", [("text", .string(text))] + room(name))
        case let .me(text, name): return object("me", [("text", .string(text))] + room(name))
        case let .who(name): return object("who", room(name))
        case let .join(name): return object("join", room(name))
        case let .part(name): return object("part", room(name))
        case .rooms: return object("rooms")
        case let .privateMessage(to, text): return object("private", [("to", .string(to)), ("text", .string(text))])
        case let .away(reason): return object("away", reason.map { [("reason", .string($0))] } ?? [])
        case .back: return object("back")
        case let .whois(name): return object("whois", [("name", .string(name))])
        case let .verify(name): return object("verify", room(name))
        case .bye: return object("bye")
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
        func string(_ member: String) throws(Problem) -> String {
            guard let text = value[member]?.stringValue else { throw .malformed("\"\(type)\" needs a \"\(member)\" string") }
            return text
        }
        func optionalString(_ member: String) throws(Problem) -> String? {
            guard let found = value[member], found != .null else { return nil }
            guard let text = found.stringValue else { throw .malformed("\"\(member)\" must be a string") }
            return text
        }
        switch type {
        case "say": self = .say(try string("text"), room: try optionalString("room"))
        case "me": self = .me(try string("text"), room: try optionalString("room"))
        case "who": self = .who(room: try optionalString("room"))
        case "join": self = .join(try string("room"))
        case "part": self = .part(try string("room"))
        case "rooms": self = .rooms
        case "private": self = .privateMessage(to: try string("to"), text: try string("text"))
        case "away": self = .away(try optionalString("reason"))
        case "back": self = .back
        case "whois": self = .whois(try string("name"))
        case "verify": self = .verify(room: try optionalString("room"))
        case "bye": self = .bye
        default: throw .unknownType(type)
        }
    }
}
