import KeyGateChannel

extension SessionDiagram {
    /// The drawing's width in pixels; each party's lifeline sits a fifth in.
    static let width = 1000
    static let lineHeight = 15

    /// The session as an SVG sequence diagram, an `<svg>` element that
    /// stands alone or inside HTML. `index` keeps the ids of several
    /// diagrams in one page apart.
    public func svg(index: Int = 0) -> String {
        drawing(index: index).svg
    }

    /// The `<svg>` element and its height.
    func drawing(index: Int) -> (svg: String, height: Int) {
        var canvas = DiagramCanvas(width: Self.width, index: index)
        let left = Self.width / 5, right = Self.width - Self.width / 5
        let x = { (role: HandshakeRole) in role == .initiator ? left : right }
        canvas.party(.initiator, x: left, recorded: side == .initiator)
        canvas.party(.responder, x: right, recorded: side == .responder)
        let summaries = HandshakeRole.allCases.map(keySummary)
        for (role, lines) in zip(HandshakeRole.allCases, summaries) {
            for (number, line) in lines.enumerated() {
                canvas.text(role == .initiator ? 16 : Self.width - 16, 96 + number * Self.lineHeight, line,
                            anchor: role == .initiator ? "start" : "end", className: "key-source")
            }
        }
        var y = 96 + (summaries.map(\.count).max() ?? 0) * Self.lineHeight + 24
        // Below the key lines, so that no lifeline crosses them.
        let top = y - 12
        for row in rows {
            switch row {
            case let .message(message):
                if message.pattern == "NNpsk0" && message.number == 1 {
                    canvas.band(y, "FTP data connection: NNpsk0 handshake, psk from the grant's data_key")
                    y += 28
                }
                y = canvas.message(message, y: y, from: x(message.sender), to: x(message.sender.peer))
            case let .transport(transport):
                if transport.event == "data_port" {
                    canvas.band(y, "the session moves to data port \(transport.port.map(String.init) ?? "?")")
                    y += 28
                }
                y = canvas.transport(transport, y: y, from: x(transport.sender), to: x(transport.sender.peer))
            }
        }
        canvas.lifelines([left, right], from: top, to: y)
        let title = "KeyGate session \(id): \(protocolName), traced by the \(side.party)"
        return (canvas.document(height: y + 16, title: title), y + 16)
    }

    /// The short key lines under each party.
    func keySummary(of role: HandshakeRole) -> [String] {
        var lines: [String] = []
        let tokens = controlMessages.flatMap { message in message.tokens.map { (message.number, $0) } }
        if let (number, token) = tokens.first(where: { $0.1.name == "s" && $0.1.keyOwner == role }) {
            lines.append("static s: \(token.publicKey.flatMap { Self.fingerprint(ofHex: $0) } ?? "?")")
            lines.append("  from its key file; sent in message \(number)" + (token.encrypted ? ", encrypted" : ", in clear"))
        } else if role == .responder && pattern == "IK" {
            lines.append("static s: from its key file; the client")
            lines.append("  knows it in advance (--server-key: IK's <- s)")
        }
        if let (number, token) = tokens.first(where: { $0.1.name == "e" && $0.1.keyOwner == role }) {
            lines.append("ephemeral e: \(token.publicKey.map(Self.abbreviate) ?? "?")")
            lines.append("  new for this handshake; sent in message \(number), in clear")
        }
        return lines
    }

    /// The token lines under a message's arrow.
    static func detailLines(_ message: Message) -> [(String, String)] {
        var lines: [(String, String)] = message.tokens.map { token in
            switch token.name {
            case "e", "s":
                let owner = token.keyOwner?.party ?? "?"
                let key = token.publicKey.flatMap { token.name == "s" ? fingerprint(ofHex: $0) : abbreviate($0) } ?? "?"
                let clear = token.encrypted ? "encrypted" : "in clear"
                return ("\(token.name) \(token.byteCount) B \(clear): the \(owner)'s \(token.name == "e" ? "ephemeral" : "static") key \(key)",
                        token.encrypted ? "encrypted" : "clear")
            case "ee", "es", "se", "ss":
                // The first letter is the initiator's key, the second the responder's.
                let letters = Array(token.name)
                return ("\(token.name): \(token.operation) = DH(client's \(letters[0]), server's \(letters[1]))", "operation")
            default:
                return ("\(token.name): \(token.operation)", "operation")
            }
        }
        let payload = message.payloadEncrypted ? "encrypted" : "in clear"
        lines.append(("payload \(message.payloadByteCount) B \(payload): \(message.payload)",
                      message.payloadEncrypted ? "encrypted" : "clear"))
        if let grades = message.grades {
            lines.append(("Noise 7.7: source \(grades.source), destination \(grades.destination)", "grades"))
        }
        return lines
    }
}
