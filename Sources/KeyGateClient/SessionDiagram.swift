import KeyGateChannel
import KeyGateKeys

/// One traced session as `keygate trace` draws it: both parties, every
/// handshake message with its tokens, sizes and what is encrypted, where
/// each side's keys come from, the grant and the move to the data port.
/// Built from the lines of a trace file (`--trace-file`), which it checks.
public struct SessionDiagram: Sendable {
    /// One token of a handshake message.
    public struct Token: Sendable {
        public let name: String
        public let operation: String
        public let explanation: String
        public let byteCount: Int
        public let encrypted: Bool
        /// Lowercase hex, for `e` and `s`.
        public let publicKey: String?
        public let keyOwner: HandshakeRole?
    }

    /// One handshake message.
    public struct Message: Sendable {
        public let pattern: String
        public let number: Int
        public let sender: HandshakeRole
        /// The frame's payload: the whole Noise message.
        public let byteCount: Int
        public let payloadByteCount: Int
        public let payloadEncrypted: Bool
        /// What KeyGate sends in the payload.
        public let payload: String
        public let grades: PayloadGrades?
        public var tokens: [Token]
    }

    /// A transport message the trace names: the grant or denial, and RESUME.
    public struct Transport: Sendable {
        /// `grant`, `denial` or `data_port`.
        public let event: String
        public let sender: HandshakeRole
        public let port: Int?
        public let service: String?
        public let reason: String?
        public let byteCount: Int
        public let grades: PayloadGrades?
    }

    /// What the diagram shows, in the order it happened.
    public enum Row: Sendable {
        case message(Message)
        case transport(Transport)
    }

    public let id: String
    /// The side that wrote the trace.
    public let side: HandshakeRole
    public let peer: String
    /// The control handshake's protocol name.
    public let protocolName: String
    public private(set) var rows: [Row] = []

    /// Checks and orders the lines of `session`.
    /// - Throws: `TraceFileError.notATraceFile` naming the first line that
    ///   lacks a member the diagram needs or has one of the wrong type.
    public init(_ session: TraceFileContents.Session, path: String) throws(TraceFileError) {
        id = session.id
        guard let first = session.records.first else { throw .empty(path: path) }
        var reader = Reader(path: path, record: first)
        side = try reader.role("side")
        peer = try reader.string("peer")
        protocolName = try reader.string("protocol")
        for record in session.records {
            reader = Reader(path: path, record: record)
            try add(record, reader)
        }
    }

    private mutating func add(_ record: TraceFileContents.Record, _ reader: Reader) throws(TraceFileError) {
        switch record.event {
        case "message":
            rows.append(.message(Message(
                pattern: try reader.string("pattern"), number: try reader.integer("message"),
                sender: try reader.role("sender"), byteCount: try reader.integer("payload_size"),
                payloadByteCount: try reader.integer("handshake_payload_size"),
                payloadEncrypted: try reader.bool("payload_encrypted"), payload: try reader.string("payload"),
                grades: try reader.grades(), tokens: [])))
        case "token":
            guard case var .message(message)? = rows.last, message.number == (try reader.integer("message")) else {
                throw reader.failure("a token line without its message line before it")
            }
            message.tokens.append(Token(
                name: try reader.string("token"), operation: try reader.string("operation"),
                explanation: try reader.string("explanation"), byteCount: try reader.integer("size"),
                encrypted: try reader.bool("encrypted"), publicKey: try reader.optionalHex("public_key"),
                keyOwner: try reader.optionalRole("key_owner")))
            rows[rows.count - 1] = .message(message)
        case "grant", "denial", "data_port":
            rows.append(.transport(Transport(
                event: record.event, sender: try reader.role("sender"), port: reader.record.value["port"]?.intValue,
                service: reader.record.value["service"]?.stringValue, reason: reader.record.value["reason"]?.stringValue,
                byteCount: try reader.integer("payload_size"), grades: try reader.grades())))
        default:
            break  // an event of a later version: not drawn
        }
    }

    /// The handshake messages of the control connection (XX or IK).
    public var controlMessages: [Message] {
        rows.compactMap { row in
            if case let .message(message) = row, message.pattern != "NNpsk0" { return message }
            return nil
        }
    }

    /// The data port the grant named, if any.
    public var dataPort: Int? {
        for row in rows {
            if case let .transport(transport) = row, transport.event == "grant" { return transport.port }
        }
        return nil
    }

    /// The pattern of the control handshake: `XX` or `IK`.
    public var pattern: String {
        controlMessages.first?.pattern ?? protocolName
    }

    /// Where `role`'s keys come from, one line each: its static key, its
    /// ephemeral key, and the session keys both sides share.
    public func keySources(of role: HandshakeRole) -> [String] {
        var lines: [String] = []
        let messages = controlMessages
        let staticToken = messages.lazy.flatMap { message in message.tokens.map { (message, $0) } }
            .first { $0.1.name == "s" && $0.1.keyOwner == role }
        let file = role == side ? "from its key file" : "its own key file"
        if let (message, token) = staticToken {
            let fingerprint = token.publicKey.flatMap(Self.fingerprint) ?? "?"
            lines.append("static key s (\(file)): \(fingerprint), sent in message \(message.number)"
                + (token.encrypted ? ", encrypted" : ", in clear"))
        } else if role == .responder && pattern == "IK" {
            lines.append("static key s (\(file)): known to the client in advance, pinned with --server-key (IK's <- s)")
        }
        if let (message, token) = messages.lazy.flatMap({ message in message.tokens.map { (message, $0) } })
            .first(where: { $0.1.name == "e" && $0.1.keyOwner == role }) {
            lines.append("ephemeral key e: made for this handshake, sent in clear in message \(message.number): "
                + (token.publicKey.map(Self.abbreviate) ?? "?"))
        }
        lines.append("session keys: Split() of the chaining key after the last message, the same on both sides")
        return lines
    }

    static func fingerprint(ofHex hex: String) -> String? {
        guard let bytes = Self.bytes(hex: hex) else { return nil }
        return Fingerprint.of(bytes)
    }

    static func abbreviate(_ hex: String) -> String {
        hex.count > 16 ? String(hex.prefix(8)) + "..." + String(hex.suffix(8)) : hex
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard HexText.isHex(hex) else { return nil }
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { index in
            func value(_ digit: UInt8) -> UInt8 { digit <= 0x39 ? digit - 0x30 : digit - 0x61 + 10 }
            return value(digits[index]) << 4 | value(digits[index + 1])
        }
    }
}

extension SessionDiagram {
    /// Reads typed members of one line, or says which is missing.
    struct Reader {
        let path: String
        let record: TraceFileContents.Record

        func failure(_ reason: String) -> TraceFileError {
            .notATraceFile(path: path, line: record.line, reason: reason)
        }

        func string(_ key: String) throws(TraceFileError) -> String {
            guard let value = record.value[key]?.stringValue else { throw failure("no string \"\(key)\"") }
            return value
        }

        func integer(_ key: String) throws(TraceFileError) -> Int {
            guard let value = record.value[key]?.intValue, value >= 0 else { throw failure("no count \"\(key)\"") }
            return value
        }

        func bool(_ key: String) throws(TraceFileError) -> Bool {
            guard let value = record.value[key]?.boolValue else { throw failure("no true or false \"\(key)\"") }
            return value
        }

        func role(_ key: String) throws(TraceFileError) -> HandshakeRole {
            guard let role = HandshakeRole(rawValue: try string(key)) else {
                throw failure("\"\(key)\" is neither initiator nor responder")
            }
            return role
        }

        func optionalRole(_ key: String) throws(TraceFileError) -> HandshakeRole? {
            record.value[key] == nil ? nil : try role(key)
        }

        func optionalHex(_ key: String) throws(TraceFileError) -> String? {
            guard record.value[key] != nil else { return nil }
            let text = try string(key)
            guard HexText.isHex(text) else { throw failure("\"\(key)\" is not lowercase hex") }
            return text
        }

        func grades() throws(TraceFileError) -> PayloadGrades? {
            guard let value = record.value["grades"], value != .null else { return nil }
            guard let source = value["source"]?.intValue, let destination = value["destination"]?.intValue,
                  PayloadGrades.sourceProperties.indices.contains(source),
                  PayloadGrades.destinationProperties.indices.contains(destination)
            else { throw failure("\"grades\" is not {\"source\":0-2,\"destination\":0-5}") }
            return PayloadGrades(source: source, destination: destination)
        }
    }
}
