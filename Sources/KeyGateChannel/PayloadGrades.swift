/// The security properties Noise gives a payload (Noise rev 34, section
/// 7.7): a "source" grade, how well the recipient knows who sent it, and a
/// "destination" grade, how well the sender knows that only the intended
/// recipient can read it.
public struct PayloadGrades: Sendable, Equatable {
    /// 0 (no authentication) to 2 (resistant to key-compromise impersonation).
    public let source: Int
    /// 0 (clear text) to 5 (strong forward secrecy to a known recipient).
    public let destination: Int

    public init(source: Int, destination: Int) {
        precondition(Self.sourceProperties.indices.contains(source), "Noise 7.7 has source grades 0-2")
        precondition(Self.destinationProperties.indices.contains(destination), "Noise 7.7 has destination grades 0-5")
        self.source = source
        self.destination = destination
    }

    /// The spec's words for each source grade.
    public static let sourceProperties = [
        "No authentication",
        "Sender authentication vulnerable to key-compromise impersonation (KCI)",
        "Sender authentication resistant to key-compromise impersonation (KCI)",
    ]

    /// The spec's words for each destination grade.
    public static let destinationProperties = [
        "No confidentiality",
        "Encryption to an ephemeral recipient",
        "Encryption to a known recipient, forward secrecy for sender compromise only, vulnerable to replay",
        "Encryption to a known recipient, weak forward secrecy",
        "Encryption to a known recipient, weak forward secrecy if the sender's private key has been compromised",
        "Encryption to a known recipient, strong forward secrecy",
    ]

    /// "source 2: Sender authentication resistant to ...".
    public var sourceText: String { "source \(source): \(Self.sourceProperties[source])" }

    /// "destination 1: Encryption to an ephemeral recipient".
    public var destinationText: String { "destination \(destination): \(Self.destinationProperties[destination])" }

    /// The grades of handshake message `index` (from 0) of the pattern
    /// `pattern` (without modifiers), for the two patterns KeyGate uses on
    /// its control port; nil for any other (the spec grades no psk pattern).
    public static func handshake(pattern: String, message index: Int) -> PayloadGrades? {
        guard let table = handshakeTable[pattern], table.indices.contains(index) else { return nil }
        return table[index]
    }

    /// The grades of the first transport payload one side sends after the
    /// handshake, before it has received any transport message from the
    /// peer: the responder's grant, the initiator's RESUME.
    ///
    /// Noise 7.7 lists a transport payload only where it differs from the
    /// sender's last handshake payload, and a second one only once the
    /// first was received. So an IK responder's grant keeps message 2's
    /// grades (2, 4) until the initiator's first transport message arrives.
    public static func firstTransport(pattern: String, fromInitiator: Bool) -> PayloadGrades? {
        switch (pattern, fromInitiator) {
        case ("XX", _): return PayloadGrades(source: 2, destination: 5)
        case ("IK", true): return PayloadGrades(source: 2, destination: 5)
        case ("IK", false): return PayloadGrades(source: 2, destination: 4)
        default: return nil
        }
    }

    /// Noise 7.7's table for XX and IK, message by message.
    private static let handshakeTable: [String: [PayloadGrades]] = [
        // -> e / <- e, ee, s, es / -> s, se
        "XX": [.init(source: 0, destination: 0), .init(source: 2, destination: 1), .init(source: 2, destination: 5)],
        // <- s ... -> e, es, s, ss / <- e, ee, se
        "IK": [.init(source: 1, destination: 2), .init(source: 2, destination: 4)],
    ]
}
