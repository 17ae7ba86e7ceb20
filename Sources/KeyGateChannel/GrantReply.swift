import KeyGateSystem
import KeyGateCrypto
import KeyGateKeys

/// The server's first transport message on the control connection
/// (PROTOCOL.md sections 3.5 and 9): a grant with the data port, or a denial.
public enum GrantReply: Equatable, Sendable {
    /// `{"ok":true,"port":P,"name":NAME}`, plus `"data_key":BASE64` (32
    /// random bytes) in a grant for the `ftp` service. The JSON text of a
    /// grant holds the key too: it lives only as long as the message.
    case granted(port: UInt16, name: String, dataKey: SecretBytes?)
    /// `{"ok":false,"error":REASON}`, with `"retry":true` for transient
    /// denials (server busy).
    case denied(reason: String, retry: Bool)

    /// Denial reasons the server sends (generic on purpose: the precise
    /// cause goes to the server's log only).
    public enum Reason {
        public static let notAllowed = "key not in the allow-list"
        /// A listed key that its options (`from`, `expiry-time`,
        /// `services`) or a revocation keep out; which one, only the log says.
        public static let notPermitted = "not permitted for this key; ask the server's operator"
        public static let unknownService = "unknown service"
        public static let noFreeDataPort = "busy: no free data port"
        public static let tooManySessions = "busy: too many sessions"
        public static let tooManySessionsForKey = "busy: too many sessions for this key"
        public static let shuttingDown = "busy: server is shutting down"
        /// Section 3.3: the server's memory of IK messages is full for this
        /// key (or for all keys).
        public static let replayMemoryFull = "busy: too many recent IK handshakes for this key; try again later"
        /// PROTOCOL.md, KeyGate's choices: right after a start the server
        /// refuses IK messages dated before it, which a restart would
        /// otherwise let be replayed.
        public static func restarted(secondsAgo: Int) -> String {
            "busy: the server restarted \(secondsAgo) s ago and refuses IK messages dated before its start; "
                + "try again in a few seconds"
        }
        /// Section 3.3: the IK timestamp is off by more than the limit.
        public static func clockSkew(seconds: Int64, limit: Duration) -> String {
            let direction = seconds > 0 ? "ahead of" : "behind"
            return "clock skew: the client's clock is \(abs(seconds)) s \(direction) the server's "
                + "(at most \(limit.components.seconds) s allowed)"
        }
    }

    public static func == (lhs: GrantReply, rhs: GrantReply) -> Bool {
        switch (lhs, rhs) {
        case let (.granted(a, b, c), .granted(x, y, z)):
            return a == x && b == y && (c == nil ? z == nil : z.map { c!.isEqual(to: $0) } ?? false)
        case let (.denied(a, b), .denied(x, y)):
            return a == x && b == y
        default:
            return false
        }
    }

    public var json: JSONValue {
        switch self {
        case let .granted(port, name, dataKey):
            var members: [(String, JSONValue)] = [("ok", .bool(true)), ("port", .integer(Int(port))), ("name", .string(name))]
            if let dataKey { members.append(("data_key", .string(dataKey.withTemporaryArray { Base64.encode($0) }))) }
            return .object(members)
        case let .denied(reason, retry):
            var members: [(String, JSONValue)] = [("ok", .bool(false)), ("error", .string(reason))]
            if retry { members.append(("retry", .bool(true))) }
            return .object(members)
        }
    }

    /// Parses the server's message.
    /// - Throws: `JSONParseError`, or `GrantReply.Malformed` when the JSON
    ///   is valid but not a grant or denial (a `data_key` that is not the
    ///   base64 of 32 bytes included).
    public init(parsing bytes: [UInt8]) throws {
        let value = try JSONValue.parse(bytes)
        guard let ok = value["ok"]?.boolValue else { throw Malformed(text: value.description) }
        if ok {
            guard let port = value["port"]?.intValue, (1...65535).contains(port),
                  let name = value["name"]?.stringValue
            else { throw Malformed(text: "a grant needs a port (1-65535) and a name") }
            var dataKey: SecretBytes?
            if let member = value["data_key"] {
                guard let text = member.stringValue, var bytes = Base64.decode(text),
                      bytes.count == KeyGateWire.dataKeyByteCount
                else { throw Malformed(text: "data_key is not the base64 of 32 bytes") }
                dataKey = SecretBytes(wiping: &bytes)
            }
            self = .granted(port: UInt16(port), name: name, dataKey: dataKey)
        } else {
            self = .denied(reason: value["error"]?.stringValue ?? "no reason given", retry: value["retry"]?.boolValue ?? false)
        }
    }

    /// A reply that is JSON but not a grant or denial.
    public struct Malformed: Error, CustomStringConvertible {
        public let text: String

        public init(text: String) {
            self.text = text
        }

        public var description: String { "the server's reply is not a grant or denial: \(text.prefix(200))" }
    }
}
