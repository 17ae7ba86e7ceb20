import KeyGateSystem
import KeyGateKeys
import KeyGateNoise

extension HandshakeTraceEvent {
    /// A readable account of the message for `--trace-handshake`: each
    /// token with its size and, for keys, the fingerprint of the public key
    /// it carried; the DH operations; and the handshake hash afterwards.
    /// Only public values appear: never a private key, DH output or cipher key.
    /// With `.explained`, ``HandshakeExplanation/lines(peer:)`` instead.
    public func lines(peer: String, detail: HandshakeTraceDetail = .tokens) -> [String] {
        if detail == .explained, let explanation = try? HandshakeExplanation(self) {
            return explanation.lines(peer: peer)
        }
        let role = isInitiator ? "client" : "server"
        let direction = message.written ? "sent" : "received"
        var lines = ["handshake \(peer) \(protocolName): \(role) \(direction) message \(message.index + 1) (\(message.byteCount) bytes)"]
        // The writer's key: the initiator writes a message when it is its
        // own (written) or when the responder reads it (not written).
        let keyOwner = message.written == isInitiator ? "client" : "server"
        for item in message.items {
            switch item.token {
            case .e:
                lines.append("  e    \(pad(item.byteCount)) \(keyOwner)'s ephemeral public key \(fingerprint(item.publicKey)), in clear")
            case .s:
                let clear = item.byteCount == (item.publicKey?.count ?? 0)
                lines.append("  s    \(pad(item.byteCount)) \(keyOwner)'s static public key \(fingerprint(item.publicKey))"
                    + (clear ? ", in clear" : ", encrypted (+16-byte tag)"))
            case .ee, .es, .se, .ss:
                let token = item.token!.rawValue
                lines.append("  \(token)   DH(\(describe(token.first!, isInitiator: true)), \(describe(token.last!, isInitiator: false))) mixed into the chaining key")
            case .psk:
                lines.append("  psk  pre-shared key mixed into the chaining key")
            case nil:
                lines.append("  payload \(item.byteCount) bytes" + (item.byteCount >= 16 ? " (encrypted, with a 16-byte tag)" : ""))
            }
        }
        lines.append("  h = \(Base64.encode(message.handshakeHash, padded: false))")
        return lines
    }

    private func pad(_ count: Int) -> String {
        let text = "\(count) bytes"
        return text.count >= 9 ? text : text + String(repeating: " ", count: 9 - text.count)
    }

    private func fingerprint(_ key: [UInt8]?) -> String {
        key.map { Fingerprint.of($0) } ?? "?"
    }

    /// `e` of the initiator is "client e", of the responder "server e".
    private func describe(_ letter: Character, isInitiator initiatorSide: Bool) -> String {
        "\(initiatorSide ? "client" : "server") \(letter)"
    }
}
