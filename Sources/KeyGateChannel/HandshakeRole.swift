/// A side of a Noise handshake. In KeyGate the client is always the
/// initiator and the server the responder.
public enum HandshakeRole: String, Sendable, Equatable, CaseIterable {
    case initiator
    case responder

    /// The KeyGate party that plays the role: "client" or "server".
    public var party: String { self == .initiator ? "client" : "server" }

    /// The other side.
    public var peer: HandshakeRole { self == .initiator ? .responder : .initiator }

    /// The role that writes message `index` (from 0): the initiator the even ones.
    public static func writer(ofMessage index: Int) -> HandshakeRole {
        index % 2 == 0 ? .initiator : .responder
    }
}
