/// Noise section 7: a handshake pattern as data: the pre-message tokens of
/// each side and the token list of every message, initiator's first.
public struct HandshakePattern: Sendable, Equatable {
    /// Noise section 7.1 tokens.
    public enum Token: String, Sendable, Equatable {
        case e, s, ee, es, se, ss, psk
    }

    public let name: String
    /// Keys known in advance: the initiator's (`-> s`) and the responder's (`<- s`).
    public let initiatorPreMessage: [Token]
    public let responderPreMessage: [Token]
    /// Message i is written by the initiator when i is even.
    public let messages: [[Token]]

    public init(name: String, initiatorPreMessage: [Token] = [], responderPreMessage: [Token] = [], messages: [[Token]]) {
        self.name = name
        self.initiatorPreMessage = initiatorPreMessage
        self.responderPreMessage = responderPreMessage
        self.messages = messages
    }

    /// Whether only the initiator sends (Noise 7.4: N, K, X).
    public var isOneWay: Bool { messages.count == 1 }

    /// The number of `psk` tokens.
    public var presharedKeyCount: Int {
        messages.reduce(0) { $0 + $1.filter { $0 == .psk }.count }
    }

    /// Noise section 9.2: applies psk modifiers. `psk0` puts a psk token at
    /// the start of the first message, `pskN` at the end of message N.
    /// - Throws: `NoiseError.unsupportedProtocol` for a modifier out of range.
    public func applyingModifiers(_ modifiers: [String]) throws(NoiseError) -> HandshakePattern {
        var messages = self.messages
        for modifier in modifiers {
            guard modifier.hasPrefix("psk"), let position = Int(modifier.dropFirst(3)) else {
                throw .unsupportedProtocol(name: name + modifier, reason: "unknown modifier '\(modifier)'")
            }
            guard position <= messages.count else {
                throw .unsupportedProtocol(name: name + modifier, reason: "\(modifier) is past the last message")
            }
            if position == 0 {
                messages[0].insert(.psk, at: 0)
            } else {
                messages[position - 1].append(.psk)
            }
        }
        return HandshakePattern(
            name: name + modifiers.joined(separator: "+"),
            initiatorPreMessage: initiatorPreMessage,
            responderPreMessage: responderPreMessage,
            messages: messages)
    }

    /// The pattern called `name` (without modifiers), if known.
    public static func named(_ name: String) -> HandshakePattern? {
        catalog.first { $0.name == name }
    }

    /// Noise section 7.4 (one-way), 7.5 (interactive) and 18 (deferred).
    public static let catalog: [HandshakePattern] = {
        typealias T = Token
        func p(_ name: String, _ i: [T] = [], _ r: [T] = [], _ messages: [T]...) -> HandshakePattern {
            HandshakePattern(name: name, initiatorPreMessage: i, responderPreMessage: r, messages: messages)
        }
        return [
            // One-way patterns.
            p("N", [], [.s], [.e, .es]),
            p("K", [.s], [.s], [.e, .es, .ss]),
            p("X", [], [.s], [.e, .es, .s, .ss]),
            // Fundamental interactive patterns.
            p("NN", [], [], [.e], [.e, .ee]),
            p("NK", [], [.s], [.e, .es], [.e, .ee]),
            p("NX", [], [], [.e], [.e, .ee, .s, .es]),
            p("XN", [], [], [.e], [.e, .ee], [.s, .se]),
            p("XK", [], [.s], [.e, .es], [.e, .ee], [.s, .se]),
            p("XX", [], [], [.e], [.e, .ee, .s, .es], [.s, .se]),
            p("KN", [.s], [], [.e], [.e, .ee, .se]),
            p("KK", [.s], [.s], [.e, .es, .ss], [.e, .ee, .se]),
            p("KX", [.s], [], [.e], [.e, .ee, .se, .s, .es]),
            p("IN", [], [], [.e, .s], [.e, .ee, .se]),
            p("IK", [], [.s], [.e, .es, .s, .ss], [.e, .ee, .se]),
            p("IX", [], [], [.e, .s], [.e, .ee, .se, .s, .es]),
            // Deferred patterns.
            p("NK1", [], [.s], [.e], [.e, .ee, .es]),
            p("NX1", [], [], [.e], [.e, .ee, .s], [.es]),
            p("X1N", [], [], [.e], [.e, .ee], [.s], [.se]),
            p("X1K", [], [.s], [.e, .es], [.e, .ee], [.s], [.se]),
            p("XK1", [], [.s], [.e], [.e, .ee, .es], [.s, .se]),
            p("X1K1", [], [.s], [.e], [.e, .ee, .es], [.s], [.se]),
            p("X1X", [], [], [.e], [.e, .ee, .s, .es], [.s], [.se]),
            p("XX1", [], [], [.e], [.e, .ee, .s], [.es, .s, .se]),
            p("X1X1", [], [], [.e], [.e, .ee, .s], [.es, .s], [.se]),
            p("K1N", [.s], [], [.e], [.e, .ee], [.se]),
            p("K1K", [.s], [.s], [.e, .es], [.e, .ee], [.se]),
            p("KK1", [.s], [.s], [.e], [.e, .ee, .se, .es]),
            p("K1K1", [.s], [.s], [.e], [.e, .ee, .es], [.se]),
            p("K1X", [.s], [], [.e], [.e, .ee, .s, .es], [.se]),
            p("KX1", [.s], [], [.e], [.e, .ee, .se, .s], [.es]),
            p("K1X1", [.s], [], [.e], [.e, .ee, .s], [.se, .es]),
            p("I1N", [], [], [.e, .s], [.e, .ee], [.se]),
            p("I1K", [], [.s], [.e, .es, .s], [.e, .ee], [.se]),
            p("IK1", [], [.s], [.e, .s], [.e, .ee, .se, .es]),
            p("I1K1", [], [.s], [.e, .s], [.e, .ee, .es], [.se]),
            p("I1X", [], [], [.e, .s], [.e, .ee, .s, .es], [.se]),
            p("IX1", [], [], [.e, .s], [.e, .ee, .se, .s], [.es]),
            p("I1X1", [], [], [.e, .s], [.e, .ee, .s], [.se, .es]),
        ]
    }()
}
