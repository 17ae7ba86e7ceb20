import KeyGateChannel
import KeyGateSystem

/// A server-to-client chat message: protocol v2 section 5, and KeyGate's
/// extensions (PROTOCOL.md, "Chat extensions"), which a v2 client ignores.
public enum ChatEvent: Equatable, Sendable {
    /// `{"type":"msg","from":NAME,"text":T,"seq":N,"room":R,"time":T,"hash":H}`
    case message(ChatMessage)
    /// `{"type":"joined","name":NAME,"room":R}`
    case joined(String, room: String = ChatConfiguration.defaultRoom)
    /// `{"type":"left","name":NAME,"room":R}`
    case left(String, room: String = ChatConfiguration.defaultRoom)
    /// `{"type":"who","names":[...],"room":R,"away":{NAME:REASON}}`
    case who([String], room: String = ChatConfiguration.defaultRoom, away: [String: String] = [:])
    /// `{"type":"error","error":TEXT}`; `refused` names the request it
    /// answers when that was a message that was not delivered (`say`).
    case error(String, refused: String? = nil)
    /// `{"type":"private","from":A,"to":B,"text":T,"time":T}`: to every
    /// session of B, and to the sender as its receipt.
    case privateMessage(from: String, to: String, text: String, time: String)
    /// `{"type":"rooms","rooms":[{"name":R,"members":N}]}`
    case rooms([RoomSummary])
    /// `{"type":"whois",...}`
    case whois(Whois)
    /// `{"type":"head","room":R,"hash":H,"count":N}`: the room's transcript
    /// head and how many messages it covers.
    case head(room: String, hash: String, count: Int)
    /// `{"type":"notice","text":T}`: the server confirming a request.
    case notice(String)

    /// A room and how many members are in it.
    public struct RoomSummary: Equatable, Sendable {
        public var name: String
        public var members: Int

        public init(name: String, members: Int) {
            self.name = name
            self.members = members
        }
    }

    /// What the server knows of a connected name.
    public struct Whois: Equatable, Sendable {
        public var name: String
        /// The fingerprint of the name's key (`SHA256:...`).
        public var fingerprint: String
        /// When its earliest session still connected joined, RFC 3339.
        public var since: String
        public var away: String?
        /// The rooms its sessions are in.
        public var rooms: [String]
        public var sessions: Int

        public init(name: String, fingerprint: String, since: String, away: String?, rooms: [String], sessions: Int) {
            self.name = name
            self.fingerprint = fingerprint
            self.since = since
            self.away = away
            self.rooms = rooms
            self.sessions = sessions
        }
    }

    public var json: JSONValue {
        func object(_ type: String, _ members: [(String, JSONValue)]) -> JSONValue {
            .object([("type", .string(type))] + members)
        }
        switch self {
        case let .message(message):
            return message.json
        case let .joined(name, room):
            return object("joined", [("name", .string(name)), ("room", .string(room))])
        case let .left(name, room):
            return object("left", [("name", .string(name)), ("room", .string(room))])
        case let .who(names, room, away):
            return object("who", [
                ("names", .array(names.map { .string($0) })), ("room", .string(room)),
                ("away", .object(away.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ])
        case let .error(text, refused):
            return object("error", [("error", .string(text))] + (refused.map { [("refused", .string($0))] } ?? []))
        case let .privateMessage(from, to, text, time):
            return object("private", [("from", .string(from)), ("to", .string(to)), ("text", .string(text)), ("time", .string(time))])
        case let .rooms(rooms):
            return object("rooms", [("rooms", .array(rooms.map {
                .object([("name", .string($0.name)), ("members", .integer($0.members))])
            }))])
        case let .whois(whois):
            return object("whois", [
                ("name", .string(whois.name)), ("fingerprint", .string(whois.fingerprint)), ("since", .string(whois.since)),
                ("away", whois.away.map { .string($0) } ?? .null), ("rooms", .array(whois.rooms.map { .string($0) })),
                ("sessions", .integer(whois.sessions)),
            ])
        case let .head(room, hash, count):
            return object("head", [("room", .string(room)), ("hash", .string(hash)), ("count", .integer(count))])
        case let .notice(text):
            return object("notice", [("text", .string(text))])
        }
    }

    /// Parses a server message; nil for a valid JSON object of another type
    /// or without the members its type needs (clients ignore what they do
    /// not know).
    /// - Throws: `JSONParseError` for invalid JSON.
    public init?(parsing bytes: [UInt8]) throws {
        let value = try JSONValue.parse(bytes)
        let room = value["room"]?.stringValue ?? ChatConfiguration.defaultRoom
        switch value["type"]?.stringValue {
        case "msg":
            guard let message = ChatMessage(json: value) else { return nil }
            self = .message(message)
        case "joined":
            guard let name = value["name"]?.stringValue else { return nil }
            self = .joined(name, room: room)
        case "left":
            guard let name = value["name"]?.stringValue else { return nil }
            self = .left(name, room: room)
        case "who":
            guard let names = value["names"]?.arrayValue?.compactMap(\.stringValue) else { return nil }
            var away: [String: String] = [:]
            if case let .object(members)? = value["away"] {
                for (name, reason) in members { away[name] = reason.stringValue ?? "" }
            }
            self = .who(names, room: room, away: away)
        case "error":
            self = .error(value["error"]?.stringValue ?? "unspecified error", refused: value["refused"]?.stringValue)
        case "private":
            guard let from = value["from"]?.stringValue, let to = value["to"]?.stringValue,
                  let text = value["text"]?.stringValue else { return nil }
            self = .privateMessage(from: from, to: to, text: text, time: value["time"]?.stringValue ?? "")
        case "rooms":
            guard let rooms = value["rooms"]?.arrayValue else { return nil }
            self = .rooms(rooms.compactMap { room in
                guard let name = room["name"]?.stringValue, let members = room["members"]?.intValue else { return nil }
                return RoomSummary(name: name, members: members)
            })
        case "whois":
            guard let name = value["name"]?.stringValue, let fingerprint = value["fingerprint"]?.stringValue else { return nil }
            self = .whois(Whois(
                name: name, fingerprint: fingerprint, since: value["since"]?.stringValue ?? "",
                away: value["away"]?.stringValue, rooms: value["rooms"]?.arrayValue?.compactMap(\.stringValue) ?? [],
                sessions: value["sessions"]?.intValue ?? 0))
        case "head":
            guard let hash = value["hash"]?.stringValue, let count = value["count"]?.intValue else { return nil }
            self = .head(room: room, hash: hash, count: count)
        case "notice":
            guard let text = value["text"]?.stringValue else { return nil }
            self = .notice(text)
        default:
            return nil
        }
    }

    /// One line for people: `[lobby 12] alice: hello`, `* bob joined
    /// lobby`. What the server relays from other people (texts and names)
    /// is shown through `VisibleText`, so it cannot drive the terminal or
    /// hide characters.
    public var displayLine: String { displayLine(timestamps: false) }

    /// `displayLine`, with the server's time first when `timestamps`.
    public func displayLine(timestamps: Bool) -> String {
        let show = VisibleText.escaping
        switch self {
        case let .message(message):
            let time = timestamps && !message.time.isEmpty ? "\(show(message.time)) " : ""
            let marker = message.history ? "~" : ""
            let place = "[\(show(message.room)) \(marker)\(message.seq)]"
            if message.action { return "\(time)\(place) * \(show(message.from)) \(show(message.text))" }
            return "\(time)\(place) \(show(message.from)): \(show(message.text))"
        case let .joined(name, room): return "* \(show(name)) joined \(show(room))"
        case let .left(name, room): return "* \(show(name)) left \(show(room))"
        case let .who(names, room, away):
            let listed = names.map { name in away[name].map { "\(show(name)) (away: \(show($0)))" } ?? show(name) }
            return "* in \(show(room)): " + listed.joined(separator: ", ")
        case let .error(text, _): return "! \(show(text))"
        case let .privateMessage(from, to, text, time):
            let stamp = timestamps && !time.isEmpty ? "\(show(time)) " : ""
            return "\(stamp)[\(show(from)) -> \(show(to))] \(show(text))"
        case let .rooms(rooms):
            return "* rooms: " + rooms.map { "\(show($0.name)) (\($0.members))" }.joined(separator: ", ")
        case let .whois(whois):
            return "* \(show(whois.name)): key \(show(whois.fingerprint)), connected since \(show(whois.since)), "
                + "\(whois.sessions) session\(whois.sessions == 1 ? "" : "s"), in "
                + whois.rooms.map(show).joined(separator: ", ")
                + (whois.away.map { ", away: \(show($0))" } ?? "")
        case let .head(room, hash, count): return "* \(show(room)): \(count) messages, head \(show(hash))"
        case let .notice(text): return "* \(show(text))"
        }
    }
}
