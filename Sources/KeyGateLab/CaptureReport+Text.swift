extension CaptureReport {
    /// The report as `keygate decode` prints it.
    public var text: String {
        var lines = ["capture: \(packetCount) packets, link type \(linkType.name) (\(linkType.rawValue)), \(connections.count) TCP connection(s)"]
        for (reason, count) in skippedPackets {
            lines.append("  \(count) packet(s) skipped: \(reason)")
        }
        for connection in connections {
            lines.append("")
            lines += Self.lines(connection)
        }
        lines.append("")
        lines += summaryLines
        return lines.joined(separator: "\n")
    }

    private static func lines(_ connection: Connection) -> [String] {
        let kind: String
        switch connection.kind {
        case let .control(name): kind = "KeyGate control connection, \(name)"
        case .sessionData: kind = "KeyGate data-port connection (RESUME, then the service)"
        case let .ftpData(name): kind = "KeyGate FTP data connection, \(name)"
        case let .other(reason): kind = "not KeyGate: \(reason)"
        }
        var lines = ["connection \(connection.number): \(connection.client) -> \(connection.server): \(kind)"]
        if let session = connection.keyLogSession {
            lines.append("  keylog session \(session)")
        }
        for frame in connection.frames {
            let time = String(format3: frame.time)
            lines.append("  \(time) \(frame.fromClient ? "client" : "server") \(frame.summary)  [packet \(frame.packetNumber)]")
            lines += frame.details.map { "      " + $0 }
        }
        lines.append("  \(connection.bytesFromClient) bytes from the client, \(connection.bytesFromServer) from the server")
        lines += connection.notes.map { "  note: " + $0 }
        return lines
    }

    /// The totals, and every frame that was not decrypted, with why.
    public var summaryLines: [String] {
        let keyGate = keyGateConnections
        guard !keyGate.isEmpty else {
            return ["no KeyGate traffic in this capture (\(connections.count) TCP connection(s), none of them KeyGate's framing)"]
        }
        var lines = ["\(keyGate.count) KeyGate connection(s)"]
        let transport = keyGate.flatMap { connection in
            connection.frames.compactMap { frame -> (Int, Frame)? in
                if case .transport = frame.role { return (connection.number, frame) }
                return nil
            }
        }
        let opened = transport.filter { $0.1.plaintext != nil }.count
        if usedKeyLog {
            lines.append("transport messages: \(transport.count), decrypted with the keylog: \(opened), not decrypted: \(transport.count - opened)")
            let failures = keyGate.flatMap { connection in
                connection.frames.compactMap { frame -> String? in
                    guard let reason = frame.undecrypted else { return nil }
                    return "  connection \(connection.number), \(frame.fromClient ? "client" : "server") \(Self.name(frame.role)): \(reason)"
                }
            }
            if !failures.isEmpty {
                lines.append("not decrypted:")
                lines += failures
            }
        } else {
            lines.append("transport messages: \(transport.count), shown as ciphertext; decrypt them with --keylog FILE")
        }
        return lines
    }

    private static func name(_ role: FrameRole) -> String {
        switch role {
        case .negotiation: return "negotiation"
        case let .handshake(number): return "handshake message \(number)"
        case let .transport(number): return "transport message \(number)"
        }
    }
}

extension String {
    /// Seconds with three decimals: `0.125`.
    init(format3 seconds: Double) {
        let milliseconds = Int((seconds * 1000).rounded())
        let fraction = String(abs(milliseconds) % 1000)
        self = "\(milliseconds < 0 ? "-" : "")\(abs(milliseconds) / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
