/// The server's first transport message on the control connection
/// (protocol-v1 section 3.5 and 9): a grant with the data port, or a denial.
public enum GrantReply: Equatable, Sendable {
    /// `{"ok":true,"port":P,"name":NAME}`
    case granted(port: UInt16, name: String)
    /// `{"ok":false,"error":REASON}`, with `"retry":true` for transient
    /// denials (server busy).
    case denied(reason: String, retry: Bool)

    /// Denial reasons the server sends (generic on purpose: the precise
    /// cause goes to the server's log only).
    public enum Reason {
        public static let notAllowed = "key not in the allow-list"
        public static let unknownService = "unknown service"
        public static let noFreeDataPort = "busy: no free data port"
        public static let tooManySessions = "busy: too many sessions"
        public static let shuttingDown = "busy: server is shutting down"
    }

    public var json: JSONValue {
        switch self {
        case let .granted(port, name):
            return .object([("ok", .bool(true)), ("port", .integer(Int(port))), ("name", .string(name))])
        case let .denied(reason, retry):
            var members: [(String, JSONValue)] = [("ok", .bool(false)), ("error", .string(reason))]
            if retry { members.append(("retry", .bool(true))) }
            return .object(members)
        }
    }

    /// Parses the server's message.
    /// - Throws: `JSONParseError`, or `GrantReply.Malformed` when the JSON
    ///   is valid but not a grant or denial.
    public init(parsing bytes: [UInt8]) throws {
        let value = try JSONValue.parse(bytes)
        guard let ok = value["ok"]?.boolValue else { throw Malformed(text: value.description) }
        if ok {
            guard let port = value["port"]?.intValue, (1...65535).contains(port),
                  let name = value["name"]?.stringValue
            else { throw Malformed(text: value.description) }
            self = .granted(port: UInt16(port), name: name)
        } else {
            self = .denied(reason: value["error"]?.stringValue ?? "no reason given", retry: value["retry"]?.boolValue ?? false)
        }
    }

    /// A reply that is JSON but not a grant or denial.
    public struct Malformed: Error, CustomStringConvertible {
        public let text: String
        public var description: String { "the server's reply is not a grant or denial: \(text.prefix(200))" }
    }
}
