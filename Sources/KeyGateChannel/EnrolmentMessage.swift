import KeyGateSystem

/// The two transport messages of the `enroll` service (PROTOCOL.md
/// "Enrolment"): after the handshake the client sends the invite's token,
/// the server answers with a grant-like object and closes.
public enum EnrolmentMessage {
    /// The largest request accepted, in bytes (a token is 32 characters).
    public static let maximumRequestByteCount = 1024

    /// `{"token":"..."}`.
    public static func request(token: String) -> [UInt8] {
        JSONValue.object([("token", .string(token))]).bytes
    }

    /// The token of a request; nil when it is not one.
    public static func token(in bytes: [UInt8]) -> String? {
        guard bytes.count <= maximumRequestByteCount, let value = try? JSONValue.parse(bytes),
              let token = value["token"]?.stringValue, !token.isEmpty
        else { return nil }
        return token
    }

    /// The server's answer.
    public enum Reply: Equatable, Sendable {
        /// The key is in the allow-list now (or was already), under `name`;
        /// `options` is its line's options field, empty for none.
        case enrolled(name: String, options: String)
        /// Not enrolled; `retry` when trying again later may succeed.
        case denied(reason: String, retry: Bool)

        /// Denial texts.
        public enum Reason {
            public static let invalidInvite = "invalid invite: unknown, used or expired token"
            public static let malformedRequest = "malformed enrolment request"
            public static let tooManyFailures = "busy: too many failed enrolments from this address; try again later"
            public static let nameTaken = "the invite's name is taken; ask the server's operator for a new invite"
            public static let failed = "the server could not record the enrolment; ask the server's operator"
        }

        public var bytes: [UInt8] {
            switch self {
            case let .enrolled(name, options):
                var members: [(String, JSONValue)] = [("ok", .bool(true)), ("name", .string(name))]
                if !options.isEmpty { members.append(("options", .string(options))) }
                return JSONValue.object(members).bytes
            case let .denied(reason, retry):
                var members: [(String, JSONValue)] = [("ok", .bool(false)), ("error", .string(reason))]
                if retry { members.append(("retry", .bool(true))) }
                return JSONValue.object(members).bytes
            }
        }

        /// Parses the server's answer.
        /// - Throws: `GrantReply.Malformed` when it is not one.
        public init(parsing bytes: [UInt8]) throws(GrantReply.Malformed) {
            guard let value = try? JSONValue.parse(bytes), let ok = value["ok"]?.boolValue else {
                throw GrantReply.Malformed(text: String(decoding: bytes.prefix(200), as: UTF8.self))
            }
            if ok {
                guard let name = value["name"]?.stringValue else {
                    throw GrantReply.Malformed(text: "an enrolment reply needs a name")
                }
                self = .enrolled(name: name, options: value["options"]?.stringValue ?? "")
            } else {
                self = .denied(reason: value["error"]?.stringValue ?? "no reason given", retry: value["retry"]?.boolValue ?? false)
            }
        }
    }
}
