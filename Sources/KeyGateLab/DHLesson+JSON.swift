import KeyGateSystem
import KeyGateChannel

extension DHLesson {
    /// The lesson as a worksheet: every number and step of the small
    /// exchange, every value (in lowercase hex), size and time of the real ones.
    public var json: JSONValue {
        .object([
            ("small", smallJSON),
            ("groups", .array(measurements.map(Self.json))),
        ])
    }

    private var smallJSON: JSONValue {
        let n = small.numbers
        return .object([
            ("p", .integer(Int(n.p))), ("g", .integer(Int(n.g))), ("a", .integer(Int(n.a))), ("b", .integer(Int(n.b))),
            ("A", Self.json(small.alicePublic)),
            ("B", Self.json(small.bobPublic)),
            ("alice_shared", Self.json(small.aliceShared)),
            ("bob_shared", Self.json(small.bobShared)),
            ("secrets_agree", .bool(small.secretsAgree)),
            ("eavesdropper_exponent", small.eavesdropperExponent.map { .integer(Int($0)) } ?? .null),
        ])
    }

    private static func json(_ run: SquareAndMultiply) -> JSONValue {
        .object([
            ("base", .integer(Int(run.base))), ("exponent", .integer(Int(run.exponent))),
            ("modulus", .integer(Int(run.modulus))), ("result", .integer(Int(run.result))),
            ("steps", .array(run.steps.map { step in
                .object([
                    ("bit", .integer(step.bit)), ("before", .integer(Int(step.before))),
                    ("squared", .integer(Int(step.squared))), ("after", .integer(Int(step.after))),
                ])
            })),
        ])
    }

    private static func json(_ m: Measurement) -> JSONValue {
        .object([
            ("name", .string(m.name)), ("protocol", .string(m.protocolName)),
            ("private_key_bytes", .integer(m.privateKeyByteCount)),
            ("public_key_bytes", .integer(m.publicKeyByteCount)),
            ("shared_secret_bytes", .integer(m.sharedSecretByteCount)),
            ("xx_message_bytes", .array(m.handshakeMessageSizes.map { .integer($0) })),
            ("alice_public", .string(Hex.encode(m.alicePublic))),
            ("bob_public", .string(Hex.encode(m.bobPublic))),
            ("alice_shared", .string(Hex.encode(m.aliceShared))),
            ("bob_shared", .string(Hex.encode(m.bobShared))),
            ("rounds", .integer(m.rounds)),
            ("microseconds_per_exchange", .double((m.microsecondsPerExchange * 10).rounded() / 10)),
            ("secrets_agree", .bool(m.secretsAgree)),
        ])
    }
}
