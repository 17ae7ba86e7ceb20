import KeyGateChannel
import KeyGateCrypto

/// One message said in a room: what every member of the room receives, the
/// sender included, and what the transcript chain covers (PROTOCOL.md,
/// "Chat extensions").
public struct ChatMessage: Equatable, Sendable {
    /// The room it was said in.
    public var room: String
    /// Its place in the room: 1 for the first message, each next one + 1.
    public var seq: Int
    /// The sender's allow-list name.
    public var from: String
    public var text: String
    /// A `/me` action rather than a plain message.
    public var action: Bool
    /// When the server delivered it, RFC 3339 in UTC.
    public var time: String
    /// The room's transcript head after this message: SHA-256 of the
    /// previous head and `canonicalBytes`, lowercase hex.
    public var hash: String
    /// Sent as part of the history replayed on joining, not live.
    public var history: Bool

    public init(
        room: String, seq: Int, from: String, text: String, action: Bool = false,
        time: String, hash: String = "", history: Bool = false
    ) {
        self.room = room
        self.seq = seq
        self.from = from
        self.text = text
        self.action = action
        self.time = time
        self.hash = hash
        self.history = history
    }

    /// The head of a room with no messages: 32 zero bytes.
    public static let emptyHead = [UInt8](repeating: 0, count: SHA256.byteCount)

    /// The bytes the transcript chain hashes, independent of any JSON
    /// encoding: the fields room, seq (decimal), time, from, kind (`msg` or
    /// `me`) and text, each as a 4-byte big-endian length and its UTF-8.
    public var canonicalBytes: [UInt8] {
        var bytes: [UInt8] = []
        for field in [room, String(seq), time, from, action ? "me" : "msg", text] {
            let utf8 = Array(field.utf8)
            let count = UInt32(utf8.count)
            bytes += [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
            bytes += utf8
        }
        return bytes
    }

    /// The head after this message, given the head before it.
    public func chained(after previous: [UInt8]) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(previous)
        hasher.update(canonicalBytes)
        return hasher.finalize()
    }

    public var json: JSONValue {
        var members: [(String, JSONValue)] = [
            ("type", .string("msg")), ("from", .string(from)), ("text", .string(text)), ("seq", .integer(seq)),
            ("room", .string(room)), ("time", .string(time)), ("hash", .string(hash)),
        ]
        if action { members.append(("action", .bool(true))) }
        if history { members.append(("history", .bool(true))) }
        return .object(members)
    }

    /// Reads a `msg` object. A server that knows only protocol v2 sends
    /// neither room, time nor hash: the room is then the default one.
    init?(json value: JSONValue) {
        guard let from = value["from"]?.stringValue, let text = value["text"]?.stringValue,
              let seq = value["seq"]?.intValue else { return nil }
        self.init(
            room: value["room"]?.stringValue ?? ChatConfiguration.defaultRoom, seq: seq, from: from, text: text,
            action: value["action"]?.boolValue ?? false, time: value["time"]?.stringValue ?? "",
            hash: value["hash"]?.stringValue ?? "", history: value["history"]?.boolValue ?? false)
    }
}
