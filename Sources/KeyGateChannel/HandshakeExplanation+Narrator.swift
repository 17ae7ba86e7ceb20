import KeyGateKeys
import KeyGateNoise

extension HandshakeExplanation {
    /// Words each token of one message as the tracing side sees it,
    /// following the cipher key through the message (Noise 5.3).
    struct Narrator {
        let side: HandshakeRole
        let sender: HandshakeRole
        let written: Bool
        /// Whether a cipher key exists at this point (HasKey()).
        var hasKey: Bool
        let usesPresharedKeys: Bool

        mutating func step(_ token: HandshakePattern.Token, item: HandshakeMessageTrace.Item) -> Step {
            switch token {
            case .e: return ephemeral(item)
            case .s: return staticKey(item)
            case .psk: return presharedKey()
            case .ee, .es, .se, .ss: return diffieHellman(token)
            }
        }

        /// "our (client's)" for this side, "the server's" for the peer.
        func whose(_ role: HandshakeRole) -> String {
            role == side ? "our (\(role.party)'s)" : "the \(role.party)'s"
        }

        private mutating func ephemeral(_ item: HandshakeMessageTrace.Item) -> Step {
            let key = item.publicKey ?? []
            var operation = written ? "MixHash(e.public_key)" : "re = next \(item.byteCount) bytes; MixHash(re.public_key)"
            var meaning = (written ? "\(whose(sender)) new ephemeral public key, sent in clear"
                : "\(whose(sender)) ephemeral public key, received in clear") + " (\(HexText.abbreviated(key))); h changes"
            if usesPresharedKeys {
                // Noise 9.2: with a psk, e is also mixed into the key.
                operation += written ? ", MixKey(e.public_key)" : ", MixKey(re.public_key)"
                meaning += "; with a psk it is also mixed into the chaining key, " + keyChange()
                hasKey = true
            }
            return Step(token: .e, operation: operation, meaning: meaning, byteCount: item.byteCount, publicKey: key,
                        keyOwner: sender, encrypted: false)
        }

        private func staticKey(_ item: HandshakeMessageTrace.Item) -> Step {
            let key = item.publicKey ?? []
            let fingerprint = Fingerprint.of(key)
            let operation = written ? "EncryptAndHash(s.public_key)" : "rs = DecryptAndHash(next \(item.byteCount) bytes)"
            let meaning: String
            if written {
                meaning = "\(whose(sender)) static public key \(fingerprint), "
                    + (hasKey ? "encrypted under the current cipher key (+16-byte tag), hidden from eavesdroppers" : "in clear")
                    + "; h changes"
            } else {
                meaning = "\(whose(sender)) static public key \(fingerprint), "
                    + (hasKey ? "decrypted (its tag checks)" : "in clear") + ", now known to us; h changes"
            }
            return Step(token: .s, operation: operation, meaning: meaning, byteCount: item.byteCount, publicKey: key,
                        keyOwner: sender, encrypted: hasKey)
        }

        private mutating func presharedKey() -> Step {
            let meaning = "the pre-shared key (from the grant's data_key and the passive command's number) mixed into "
                + "the chaining key and h, " + keyChange() + "; only the session's two ends know it"
            hasKey = true
            return Step(token: .psk, operation: "MixKeyAndHash(psk)", meaning: meaning, byteCount: 0, publicKey: nil,
                        keyOwner: nil, encrypted: false)
        }

        private mutating func diffieHellman(_ token: HandshakePattern.Token) -> Step {
            // Noise 5.3: es is DH(e, rs) for the initiator, DH(s, re) for
            // the responder; se the other way round.
            let letters = Array(token.rawValue)
            let initiatorKey = String(letters[0])
            let responderKey = String(letters[1])
            let (local, remote) = side == .initiator ? (initiatorKey, responderKey) : (responderKey, initiatorKey)
            let operation = "MixKey(DH(\(local), r\(remote)))"
            var meaning = "DH of \(whose(side)) \(kind(local)) private key and \(whose(side.peer)) \(kind(remote)) "
                + "public key: the chaining key changes, " + keyChange()
            switch token {
            case .ee: meaning += "; both keys are fresh for this handshake: forward secrecy"
            case .es: meaning += "; only someone with the server's static private key (or the client's ephemeral one) can compute it: "
                + "it authenticates the server"
            case .se: meaning += "; only someone with the client's static private key (or the server's ephemeral one) can compute it: "
                + "it authenticates the client"
            default: meaning += "; both static keys: it authenticates both sides, without forward secrecy"
            }
            hasKey = true
            return Step(token: token, operation: operation, meaning: meaning, byteCount: 0, publicKey: nil,
                        keyOwner: nil, encrypted: false)
        }

        private func kind(_ letter: String) -> String {
            letter == "e" ? "ephemeral" : "static"
        }

        private func keyChange() -> String {
            hasKey ? "the cipher key is replaced" : "a cipher key now exists: what follows is encrypted"
        }
    }
}
