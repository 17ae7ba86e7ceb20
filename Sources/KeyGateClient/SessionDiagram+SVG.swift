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
        var canvas = Canvas(width: Self.width, index: index)
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

/// The SVG being drawn, element by element.
struct Canvas {
    let width: Int
    let index: Int
    var body: [String] = []

    init(width: Int, index: Int) {
        self.width = width
        self.index = index
    }

    mutating func text(_ x: Int, _ y: Int, _ content: String, anchor: String = "middle", className: String) {
        body.append("<text x=\"\(x)\" y=\"\(y)\" text-anchor=\"\(anchor)\" class=\"\(className)\">\(Markup.escape(content))</text>")
    }

    mutating func party(_ role: HandshakeRole, x: Int, recorded: Bool) {
        body.append("<g class=\"party \(role.rawValue)\">")
        body.append("<rect x=\"\(x - 110)\" y=\"16\" width=\"220\" height=\"54\" rx=\"8\" class=\"party-box\"/>")
        text(x, 38, role == .initiator ? "Client" : "Server", className: "party-name")
        text(x, 58, role.rawValue + (recorded ? " · this trace" : ""), className: "party-role")
        body.append("</g>")
    }

    mutating func band(_ y: Int, _ label: String) {
        body.append("<g class=\"band\"><line x1=\"16\" y1=\"\(y)\" x2=\"\(width - 16)\" y2=\"\(y)\" class=\"band-line\"/>")
        text(width / 2, y + 16, label, className: "band-label")
        body.append("</g>")
    }

    /// Draws a message's arrow and its lines; returns the y below them.
    mutating func message(_ message: SessionDiagram.Message, y: Int, from: Int, to: Int) -> Int {
        let tokens = message.tokens.map(\.name).joined(separator: ", ")
        body.append("<g class=\"message\" data-pattern=\"\(Markup.escape(message.pattern))\" data-message=\"\(message.number)\">")
        text(width / 2, y + 12, "\(message.pattern) message \(message.number): \(tokens.isEmpty ? "(payload only)" : tokens) · \(message.byteCount) bytes",
             className: "message-label")
        arrow(from: from, to: to, y: y + 20, dashed: false)
        var lineY = y + 40
        for (line, kind) in SessionDiagram.detailLines(message) {
            text(width / 2, lineY, line, className: "token \(kind)")
            lineY += SessionDiagram.lineHeight
        }
        body.append("</g>")
        return lineY + 12
    }

    /// Draws the grant, denial or RESUME; returns the y below it.
    mutating func transport(_ transport: SessionDiagram.Transport, y: Int, from: Int, to: Int) -> Int {
        let label: String
        switch transport.event {
        case "grant":
            label = "grant: data port \(transport.port.map(String.init) ?? "?"), service \(transport.service ?? "?")"
        case "denial":
            label = "denial: \(transport.reason ?? "?")"
        default:
            label = "RESUME on data port \(transport.port.map(String.init) ?? "?") (\(transport.service ?? "?"))"
        }
        body.append("<g class=\"transport \(Markup.escape(transport.event))\">")
        text(width / 2, y + 12, "\(label) · \(transport.byteCount) bytes, encrypted transport message", className: "message-label")
        arrow(from: from, to: to, y: y + 20, dashed: true)
        var lineY = y + 40
        if let grades = transport.grades {
            text(width / 2, lineY, "Noise 7.7: source \(grades.source), destination \(grades.destination)", className: "token grades")
            lineY += SessionDiagram.lineHeight
        }
        body.append("</g>")
        return lineY + 12
    }

    mutating func arrow(from: Int, to: Int, y: Int, dashed: Bool) {
        body.append("<line x1=\"\(from)\" y1=\"\(y)\" x2=\"\(to)\" y2=\"\(y)\" class=\"arrow\(dashed ? " dashed" : "")\" "
            + "marker-end=\"url(#arrowhead-\(index))\"/>")
    }

    mutating func lifelines(_ xs: [Int], from top: Int, to bottom: Int) {
        // Drawn first so that arrows and text lie on top of them.
        body.insert(contentsOf: xs.map { x in
            "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(bottom)\" class=\"lifeline\"/>"
        }, at: 0)
    }

    func document(height: Int, title: String) -> String {
        let style = """
            <style>
            .party-box{fill:#eef3fb;stroke:#2f5597;stroke-width:1.5}
            .party-name{font:bold 16px sans-serif;fill:#1f3864}
            .party-role,.key-source{font:12px monospace;fill:#333}
            .lifeline{stroke:#8fa6cf;stroke-width:2;stroke-dasharray:6 4}
            .arrow{stroke:#1f3864;stroke-width:2}
            .arrow.dashed{stroke-dasharray:8 4}
            .message-label{font:bold 13px sans-serif;fill:#111}
            .token{font:12px monospace;fill:#333}
            .token.encrypted{fill:#1a7f37}
            .token.clear{fill:#b35900}
            .token.grades{fill:#6a1b9a}
            .band-line{stroke:#aaa;stroke-width:1}
            .band-label{font:italic 12px sans-serif;fill:#555}
            </style>
            """
        return """
            <svg xmlns="http://www.w3.org/2000/svg" class="session-diagram" width="\(width)" height="\(height)" \
            viewBox="0 0 \(width) \(height)" role="img" aria-label="\(Markup.escape(title))">
            <title>\(Markup.escape(title))</title>
            \(style)
            <defs><marker id="arrowhead-\(index)" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">\
            <path d="M0,0 L10,4 L0,8 z" fill="#1f3864"/></marker></defs>
            <rect width="100%" height="100%" fill="#fff"/>
            \(body.joined(separator: "\n"))
            </svg>
            """
    }
}
