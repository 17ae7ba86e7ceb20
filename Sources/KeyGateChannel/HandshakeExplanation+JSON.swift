extension HandshakeExplanation {
    /// The message as `--trace-file` lines: one `"message"` object, then
    /// one `"token"` object per token (PROTOCOL.md, "Trace files").
    public func records(session: String, peer: String) -> [JSONValue] {
        let common = commonMembers(session: session, peer: peer)
        var message = common
        message[1] = ("event", .string("message"))
        message += [
            ("token", .string(steps.map(\.token.rawValue).joined(separator: ", "))),
            ("operation", .string(sender == side ? "WriteMessage" : "ReadMessage")),
            ("payload_size", .integer(byteCount)),
            ("handshake_payload_size", .integer(payloadByteCount)),
            ("payload_encrypted", .bool(payloadEncrypted)),
            ("payload", .string(payloadContents)),
            ("grades", grades.map(Self.json) ?? .null),
            ("grades_text", grades.map { .object([("source", .string($0.sourceText)), ("destination", .string($0.destinationText))]) } ?? .null),
            ("handshake_hash", .string(HexText.encode(handshakeHash))),
        ]
        var records: [JSONValue] = [.object(message)]
        for (index, step) in steps.enumerated() {
            var token = common
            token[1] = ("event", .string("token"))
            token += [
                ("index", .integer(index)),
                ("token", .string(step.token.rawValue)),
                ("operation", .string(step.operation)),
                ("explanation", .string(step.meaning)),
                ("size", .integer(step.byteCount)),
                ("encrypted", .bool(step.encrypted)),
            ]
            if let key = step.publicKey, let owner = step.keyOwner {
                token += [("public_key", .string(HexText.encode(key))), ("key_owner", .string(owner.rawValue))]
            }
            records.append(.object(token))
        }
        return records
    }

    /// `{"source":N,"destination":N}`.
    public static func json(_ grades: PayloadGrades) -> JSONValue {
        .object([("source", .integer(grades.source)), ("destination", .integer(grades.destination))])
    }

    private func commonMembers(session: String, peer: String) -> [(String, JSONValue)] {
        [
            ("session", .string(session)),
            ("event", .null),
            ("side", .string(side.rawValue)),
            ("peer", .string(peer)),
            ("protocol", .string(protocolName)),
            ("pattern", .string(pattern)),
            ("message", .integer(number)),
            ("sender", .string(sender.rawValue)),
        ]
    }
}
