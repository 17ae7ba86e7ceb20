import KeyGateChannel

/// The SVG being drawn, element by element.
struct DiagramCanvas {
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
            .token,.key-source,.message-label{paint-order:stroke;stroke:#fff;stroke-width:4px;stroke-linejoin:round}
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
