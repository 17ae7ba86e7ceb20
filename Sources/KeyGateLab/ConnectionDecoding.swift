import KeyGateSystem
import KeyGateNoise
import KeyGateChannel

/// The decoding of one connection's frames: what the connection is, what
/// each frame is, and with the keylog what each transport frame says.
struct ConnectionDecoding {
    typealias RawFrame = CaptureDecoder.RawFrame
    typealias Frame = CaptureReport.Frame

    let decoder: CaptureDecoder
    let client: [RawFrame]
    let server: [RawFrame]
    /// The frames found, both directions, in no particular order.
    var frames: [Frame] = []
    /// The keylog session (index) of this connection.
    var session: Int?

    init(decoder: CaptureDecoder, client: [RawFrame], server: [RawFrame]) {
        self.decoder = decoder
        self.client = client
        self.server = server
    }

    /// What the connection carries.
    private enum Traffic {
        case control
        case sessionData
        case ftpData
    }

    mutating func run(sessions: inout [CaptureDecoder.SessionState]) -> CaptureReport.ConnectionKind {
        guard let first = client.first else {
            return .other(server.isEmpty ? "no whole frame either way" : "the client sent no whole frame")
        }
        if let name = Self.negotiatedName(first.payload) {
            frames.append(frame(first, fromClient: true, role: .negotiation, summary: "negotiation: proposes \(name.description)", details: []))
            let (clientNext, serverNext) = handshake(name, clientFrom: 1)
            transport(client[clientNext...], fromClient: true, traffic: .control, sessions: &sessions)
            transport(server[serverNext...], fromClient: false, traffic: .control, sessions: &sessions)
            return .control(protocolName: name.description)
        }
        if first.payload.count == CaptureDecoder.resumeFrameByteCount {
            session = decoder.keyLog.indices.first { index in
                let entry = decoder.keyLog[index]
                guard !entry.protocolName.contains("psk") else { return false }
                return CaptureDecoder.open(first.payload, key: entry.initiatorToResponderKey, expected: 0).map {
                    $0.plaintext == KeyGateWire.resumeMessage && $0.nonce == 0
                } ?? false
            }
            transport(client[...], fromClient: true, traffic: .sessionData, sessions: &sessions)
            transport(server[...], fromClient: false, traffic: .sessionData, sessions: &sessions)
            return .sessionData
        }
        if let dh = CaptureDecoder.dataHandshakeDH[first.payload.count],
           server.first.map({ $0.payload.count == first.payload.count }) ?? true,
           let name = try? NoiseProtocolName(KeyGateWire.suiteName(pattern: "NNpsk0", dh: dh)) {
            let (clientNext, serverNext) = handshake(name, clientFrom: 0)
            transport(client[clientNext...], fromClient: true, traffic: .ftpData, sessions: &sessions)
            transport(server[serverNext...], fromClient: false, traffic: .ftpData, sessions: &sessions)
            return .ftpData(protocolName: name.description)
        }
        return .other("its first frame (\(first.payload.count) bytes: \(Self.preview(first.payload))) is no KeyGate negotiation, RESUME or NNpsk0 message")
    }

    /// A negotiation frame's protocol name, if it is one KeyGate's control port speaks.
    static func negotiatedName(_ payload: [UInt8]) -> NoiseProtocolName? {
        guard let text = String(validating: payload, as: UTF8.self), text.hasPrefix("Noise_"),
              let name = try? NoiseProtocolName(text), ["XX", "IK"].contains(name.patternName)
        else { return nil }
        return name
    }

    /// The handshake messages, alternating from the client; finds the
    /// keylog session by message 1's `e`.
    /// - Returns: the indexes of the first frame after the handshake in each direction.
    private mutating func handshake(_ name: NoiseProtocolName, clientFrom: Int) -> (client: Int, server: Int) {
        let layout = HandshakeLayout(protocolName: name)
        var next = (client: clientFrom, server: 0)
        for index in name.pattern.messages.indices {
            let fromClient = index % 2 == 0
            let position = fromClient ? next.client : next.server
            let raws = fromClient ? client : server
            guard position < raws.count else { break }
            if fromClient { next.client += 1 } else { next.server += 1 }
            let message = handshakeFrame(raws[position], index: index, layout: layout, fromClient: fromClient)
            if index == 0, let ephemeral = message.publicKeys.first {
                session = decoder.keyLog.firstIndex { $0.initiatorEphemeralKey == ephemeral && $0.protocolName == name.description }
            }
            frames.append(message)
        }
        return next
    }

    private func handshakeFrame(_ raw: RawFrame, index: Int, layout: HandshakeLayout, fromClient: Bool) -> Frame {
        let tokens = layout.tokens(ofMessage: index) ?? []
        let summary = "handshake message \(index + 1) (\(tokens.map(\.rawValue).joined(separator: ", "))): \(raw.payload.count) bytes"
        guard let parts = layout.parts(ofMessage: index, raw.payload) else {
            return frame(raw, fromClient: fromClient, role: .handshake(index + 1), summary: summary,
                         details: ["too short for message \(index + 1) of \(layout.protocolName.description)"])
        }
        let whose = fromClient ? "the client's" : "the server's"
        var details: [String] = []
        var publicKeys: [[UInt8]] = []
        var undecrypted: String?
        for part in parts {
            switch part.token {
            case .e?:
                publicKeys.append(part.bytes)
                details.append("e: \(whose) ephemeral public key, in clear (\(part.bytes.count) bytes): \(Hex.encode(part.bytes))")
            case .s?:
                details.append(part.encrypted
                    ? "s: \(whose) static public key, encrypted (\(part.bytes.count) bytes: \(layout.publicKeyByteCount) + 16-byte tag)"
                    : "s: \(whose) static public key, in clear: \(Hex.encode(part.bytes))")
            default:
                if part.encrypted {
                    let plaintextCount = part.bytes.count - 16
                    details.append("payload: encrypted (\(part.bytes.count) bytes: \(plaintextCount) + 16-byte tag)\(Self.payloadMeaning(layout, index: index, plaintextCount: plaintextCount))")
                    if plaintextCount > 0 {
                        undecrypted = "a handshake payload, encrypted with handshake keys (the keylog holds transport keys only)"
                    }
                } else {
                    details.append(part.bytes.isEmpty ? "payload: empty" : "payload: in clear (\(part.bytes.count) bytes): \(Self.preview(part.bytes))")
                }
            }
        }
        return Frame(
            time: raw.time, packetNumber: raw.packetNumber, fromClient: fromClient, payload: raw.payload,
            role: .handshake(index + 1), summary: summary, details: details, publicKeys: publicKeys,
            plaintext: nil, nonce: nil, undecrypted: undecrypted)
    }

    /// What KeyGate puts in a handshake payload (PROTOCOL.md section 3.3).
    private static func payloadMeaning(_ layout: HandshakeLayout, index: Int, plaintextCount: Int) -> String {
        let services = [3: "ftp", 4: "chat"]
        switch (layout.protocolName.patternName, index) {
        case ("XX", 2):
            return "; the service name" + (services[plaintextCount].map { ", '\($0)' by its length" } ?? "")
        case ("IK", 0):
            let service = services[plaintextCount - KeyGateWire.timestampByteCount]
            return "; the client's clock (8 bytes) and the service name" + (service.map { ", '\($0)' by its length" } ?? "")
        default:
            return plaintextCount == 0 ? "; empty, only the tag" : ""
        }
    }

    /// The transport frames of one direction.
    private mutating func transport(
        _ raws: ArraySlice<RawFrame>, fromClient: Bool, traffic: Traffic, sessions: inout [CaptureDecoder.SessionState]
    ) {
        for (offset, raw) in raws.enumerated() {
            let number = offset + 1
            var plaintext: [UInt8]?
            var nonce: UInt64?
            var reason: String?
            if let session {
                let entry = decoder.keyLog[session]
                let key = fromClient ? entry.initiatorToResponderKey : entry.responderToInitiatorKey
                let expected = fromClient ? sessions[session].nextNonce.fromInitiator : sessions[session].nextNonce.fromResponder
                if let opened = CaptureDecoder.open(raw.payload, key: key, expected: expected) {
                    plaintext = opened.plaintext
                    nonce = opened.nonce
                    if fromClient {
                        sessions[session].nextNonce.fromInitiator = opened.nonce + 1
                    } else {
                        sessions[session].nextNonce.fromResponder = opened.nonce + 1
                    }
                } else {
                    reason = raw.payload.count < 16
                        ? "shorter than a tag: not a transport message"
                        : "keylog session \(session + 1)'s \(fromClient ? "initiator-to-responder" : "responder-to-initiator") key opens it at no nonce from 0 to \(expected + CaptureDecoder.nonceWindow - 1): altered, or not this session's"
                }
            } else {
                reason = decoder.keyLog.isEmpty
                    ? "no keylog given (--keylog FILE)"
                    : traffic == .sessionData
                        ? "no session in the keylog opens its RESUME: the session is not in the keylog"
                        : "the session (its message 1 ephemeral key) is not in the keylog"
            }
            let label = plaintext.map { self.label(for: $0, fromClient: fromClient, traffic: traffic, sessions: &sessions) }
            var details = ["ciphertext: \(CaptureDecoder.abbreviatedHex(raw.payload))"]
            if let plaintext, let label, let nonce {
                details.append("decrypted (nonce \(nonce)), \(label): \(Self.preview(plaintext, limit: 400))")
            } else if let reason {
                details.append("not decrypted: \(reason)")
            }
            frames.append(Frame(
                time: raw.time, packetNumber: raw.packetNumber, fromClient: fromClient, payload: raw.payload,
                role: .transport(number),
                summary: "transport message \(number): \(raw.payload.count) bytes (\(max(0, raw.payload.count - 16)) bytes of ciphertext + 16-byte tag)",
                details: details, publicKeys: [], plaintext: plaintext, nonce: nonce, undecrypted: reason))
        }
    }

    /// What a decrypted transport message is, learning the session's
    /// service from its grant.
    private func label(for plaintext: [UInt8], fromClient: Bool, traffic: Traffic, sessions: inout [CaptureDecoder.SessionState]) -> String {
        switch traffic {
        case .control:
            guard !fromClient, let grant = try? JSONValue.parse(plaintext), let ok = grant["ok"]?.boolValue else { return "message" }
            if ok, let session {
                sessions[session].service = grant["data_key"] == nil ? KeyGateWire.chatService : KeyGateWire.ftpService
            }
            return ok ? "grant" : "denial"
        case .sessionData:
            if fromClient && plaintext == KeyGateWire.resumeMessage { return "RESUME" }
            switch session.flatMap({ sessions[$0].service }) {
            case KeyGateWire.ftpService?: return fromClient ? "FTP command" : "FTP reply"
            case KeyGateWire.chatService?: return "chat message"
            default: return "message"
            }
        case .ftpData:
            return plaintext.isEmpty ? "end-of-data" : "data, \(plaintext.count) bytes"
        }
    }

    private func frame(_ raw: RawFrame, fromClient: Bool, role: CaptureReport.FrameRole, summary: String, details: [String]) -> Frame {
        Frame(
            time: raw.time, packetNumber: raw.packetNumber, fromClient: fromClient, payload: raw.payload, role: role,
            summary: summary, details: details, publicKeys: [], plaintext: nil, nonce: nil, undecrypted: nil)
    }

    /// Bytes as quoted text when they are printable UTF-8 (CR, LF and tab
    /// escaped), else as hex; at most `limit` characters.
    static func preview(_ bytes: [UInt8], limit: Int = 48) -> String {
        if let text = String(validating: bytes, as: UTF8.self),
           text.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7f || $0 == "\r" || $0 == "\n" || $0 == "\t" }) {
            let escaped = text.escapingControlCharacters
            return "\"" + (escaped.count > limit ? String(escaped.prefix(limit)) + "...\"" : escaped + "\"")
        }
        return CaptureDecoder.abbreviatedHex(bytes, limit: limit / 2)
    }
}

extension CaptureDecoder {
    /// Hex of the first `limit` bytes, and how many more there are.
    static func abbreviatedHex(_ bytes: [UInt8], limit: Int = 24) -> String {
        bytes.count <= limit ? Hex.encode(bytes) : Hex.encode(bytes.prefix(limit)) + "... (\(bytes.count) bytes)"
    }
}

extension String {
    /// The string with backslash, CR, LF and tab written as escapes.
    var escapingControlCharacters: String {
        var result = String.UnicodeScalarView()
        for scalar in unicodeScalars {
            switch scalar {
            case "\\": result.append(contentsOf: "\\\\".unicodeScalars)
            case "\r": result.append(contentsOf: "\\r".unicodeScalars)
            case "\n": result.append(contentsOf: "\\n".unicodeScalars)
            case "\t": result.append(contentsOf: "\\t".unicodeScalars)
            default: result.append(scalar)
            }
        }
        return String(result)
    }
}
