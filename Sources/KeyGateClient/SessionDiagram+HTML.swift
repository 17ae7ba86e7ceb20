import KeyGateChannel

extension SessionDiagram {
    /// A self-contained HTML page with one section per session: its
    /// diagram inline, where each side's keys come from, and every token
    /// explained. No script, nothing loaded from anywhere (its
    /// Content-Security-Policy forbids it); `source` names the trace file.
    public static func htmlDocument(_ diagrams: [SessionDiagram], source: String) -> String {
        let sections = diagrams.enumerated().map { index, diagram in diagram.htmlSection(index: index) }
        let count = diagrams.count == 1 ? "1 session" : "\(diagrams.count) sessions"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>KeyGate handshake trace: \(Markup.escape(source))</title>
            <style>
            body{font-family:sans-serif;margin:2em;color:#111;max-width:1100px}
            h1{font-size:1.6em}
            section.session{border-top:2px solid #2f5597;margin-top:2em;padding-top:1em}
            table.tokens{border-collapse:collapse;width:100%;font-size:13px}
            table.tokens td,table.tokens th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;text-align:left}
            tr.message-row td{background:#eef3fb;font-weight:bold}
            td.operation,td.hex{font-family:monospace}
            td.hex{word-break:break-all}
            ul.keys li{font-family:monospace;font-size:13px}
            .grades{color:#6a1b9a}
            </style>
            </head>
            <body>
            <h1>KeyGate handshake trace</h1>
            <p class="source">From <code>\(Markup.escape(source))</code>: \(count), each as the side that wrote the trace saw it.
            Solid arrows are handshake messages, dashed ones encrypted transport messages.
            Orange is sent in clear, green encrypted.</p>
            \(sections.joined(separator: "\n"))
            </body>
            </html>

            """
    }

    /// The diagrams in one SVG file, one below the other.
    public static func svgDocument(_ diagrams: [SessionDiagram]) -> String {
        var y = 0
        var parts: [String] = []
        for (index, diagram) in diagrams.enumerated() {
            let (svg, height) = diagram.drawing(index: index)
            // A nested <svg> placed with x and y keeps its own coordinates.
            parts.append(svg.replacing("<svg ", with: "<svg x=\"0\" y=\"\(y)\" ", maxReplacements: 1))
            y += height + 24
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(max(y - 24, 0))" viewBox="0 0 \(width) \(max(y - 24, 0))">
            \(parts.joined(separator: "\n"))
            </svg>

            """
    }

    func htmlSection(index: Int) -> String {
        var html = ["<section class=\"session\" id=\"session-\(index)\" data-session=\"\(Markup.escape(id))\">"]
        html.append("<h2>Session <code>\(Markup.escape(id))</code>: \(Markup.escape(protocolName))</h2>")
        html.append("<p>Traced by the \(side.party) (\(side.rawValue)); its peer: <code>\(Markup.escape(peer))</code>.</p>")
        html.append(svg(index: index))
        html.append("<h3>Where the keys come from</h3>")
        for role in HandshakeRole.allCases {
            html.append("<p>\(role == .initiator ? "Client" : "Server") (\(role.rawValue)):</p><ul class=\"keys \(role.rawValue)\">")
            html += keySources(of: role).map { "<li>\(Markup.escape($0))</li>" }
            html.append("</ul>")
        }
        html.append("<h3>Message by message</h3>")
        html.append("<table class=\"tokens\"><thead><tr><th>token</th><th>operation</th><th>what it does</th><th>bytes</th></tr></thead><tbody>")
        for row in rows {
            html += tableRows(row)
        }
        html.append("</tbody></table>")
        html.append("</section>")
        return html.joined(separator: "\n")
    }

    private func tableRows(_ row: Row) -> [String] {
        switch row {
        case let .message(message):
            let arrow = message.sender == .initiator ? "client → server" : "server → client"
            var rows = ["<tr class=\"message-row\"><td colspan=\"4\">\(Markup.escape(message.pattern)) message \(message.number), "
                + "\(arrow), \(message.byteCount) bytes</td></tr>"]
            for token in message.tokens {
                rows.append("<tr class=\"token-row\"><td>\(Markup.escape(token.name))</td>"
                    + "<td class=\"operation\">\(Markup.escape(token.operation))</td>"
                    + "<td>\(Markup.escape(token.explanation))</td><td>\(token.byteCount)</td></tr>")
            }
            let sealed = message.payloadEncrypted ? "encrypted (16-byte tag included)" : "in clear"
            rows.append("<tr class=\"payload-row\"><td>payload</td><td class=\"operation\">"
                + (message.sender == side ? "EncryptAndHash(payload)" : "DecryptAndHash(payload)")
                + "</td><td>\(sealed): \(Markup.escape(message.payload))</td><td>\(message.payloadByteCount)</td></tr>")
            if let grades = message.grades {
                rows.append("<tr class=\"grades-row\"><td>Noise 7.7</td><td colspan=\"3\" class=\"grades\">"
                    + "\(Markup.escape(grades.sourceText)); \(Markup.escape(grades.destinationText))</td></tr>")
            }
            return rows
        case let .transport(transport):
            let what: String
            switch transport.event {
            case "grant": what = "grant: data port \(transport.port.map(String.init) ?? "?"), service \(transport.service ?? "?")"
            case "denial": what = "denial: \(transport.reason ?? "?")"
            default: what = "RESUME, the client's first transport message, on data port \(transport.port.map(String.init) ?? "?")"
            }
            var text = "\(what); a transport message encrypted with the session keys"
            if let grades = transport.grades { text += " (\(grades.sourceText); \(grades.destinationText))" }
            return ["<tr class=\"transport-row \(Markup.escape(transport.event))\"><td colspan=\"3\">\(Markup.escape(text))</td>"
                + "<td>\(transport.byteCount)</td></tr>"]
        }
    }
}
