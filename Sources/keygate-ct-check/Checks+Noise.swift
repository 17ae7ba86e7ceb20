import KeyGateCrypto
import KeyGateNoise

/// Whole Noise handshakes (XX and IK, over X25519 and FFDHE, and the
/// NNpsk0 of FTP data connections) between two HandshakeStates whose static
/// and ephemeral private keys (and pre-shared key) are injected and secret,
/// with secret payloads, then transport messages both ways, a tampered one,
/// and a rekey.
extension Checks {
    static let noise: [Check] = ["XX", "IK"].flatMap { pattern in
        ["25519", "FFDHE2048"].map { dh in
            Check("noise/\(pattern) \(dh) handshake and transport") { () throws(CheckFailure) in
                try handshake("Noise_\(pattern)_\(dh)_ChaChaPoly_SHA256")
            }
        }
    } + [
        Check("noise/NNpsk0 25519 handshake and transport (FTP data connections)") { () throws(CheckFailure) in
            try handshake("Noise_NNpsk0_25519_ChaChaPoly_SHA256")
        },
    ]

    private static func handshake(_ protocolName: String) throws(CheckFailure) {
        let name = try Expect.succeeds("protocol name") { () throws(NoiseError) in try NoiseProtocolName(protocolName) }
        let dh = name.diffieHellman
        func secretKey(_ label: String) -> [UInt8] { Secrets.bytes(dh.privateKeyByteCount, "\(protocolName) \(label)") }
        let initiatorStatic = secretKey("initiator static"), responderStatic = secretKey("responder static")
        let responderPublic = try Expect.succeeds("responder public key") { () throws(NoiseError) in
            try dh.publicKey(privateKey: responderStatic)
        }
        let needsRemote = !name.pattern.responderPreMessage.isEmpty
        let usesStatic = name.pattern.messages.contains { $0.contains(.s) }
        let presharedKeys = (0..<name.pattern.presharedKeyCount).map { Secrets.bytes(32, "\(protocolName) psk \($0)") }
        // The control connection's prologue (PROTOCOL.md section 3.2):
        // "KeyGate/2", a zero byte, the protocol name. Public, like the
        // name; only its shape matters to the check.
        let prologue = Array("KeyGate/2".utf8) + [0] + Array(protocolName.utf8)
        let initiator = try Expect.succeeds("initiator") { () throws(NoiseError) in
            try HandshakeState(
                protocolName: protocolName, initiator: true, prologue: prologue,
                localStaticPrivateKey: usesStatic ? initiatorStatic : nil, localEphemeralPrivateKey: secretKey("initiator ephemeral"),
                remoteStaticPublicKey: needsRemote ? responderPublic : nil, presharedKeys: presharedKeys)
        }
        let responder = try Expect.succeeds("responder") { () throws(NoiseError) in
            try HandshakeState(
                protocolName: protocolName, initiator: false, prologue: prologue,
                localStaticPrivateKey: usesStatic ? responderStatic : nil, localEphemeralPrivateKey: secretKey("responder ephemeral"),
                remoteStaticPublicKey: nil, presharedKeys: presharedKeys)
        }
        var index = 0
        while !initiator.isComplete {
            let (sender, receiver) = initiator.isMyTurnToWrite ? (initiator, responder) : (responder, initiator)
            let payload = Secrets.bytes(20, "payload \(index)")
            let message = try Expect.succeeds("writeMessage \(index)") { () throws(NoiseError) in try sender.writeMessage(payload: payload) }
            // A message whose last byte (the payload's tag) was flipped is
            // refused and leaves the reader where it was; XX's first message
            // is sent before any key exists, so nothing protects it (NNpsk0's
            // is keyed by the psk, IK's by the responder's static key).
            if index > 0 || !protocolName.hasPrefix("Noise_XX") {
                var tampered = message
                tampered[tampered.count - 1] ^= 1
                try Expect.fails("readMessage of tampered message \(index)") { () throws(NoiseError) in _ = try receiver.readMessage(tampered) }
            }
            let received = try Expect.succeeds("readMessage \(index)") { () throws(NoiseError) in try receiver.readMessage(message) }
            try Expect.equal(received, Secrets.publicBytes(20, "payload \(index)"), "payload of message \(index)")
            index += 1
        }
        try Expect.isTrue(responder.isComplete, "responder complete")
        try Expect.equal(initiator.handshakeHash, responder.handshakeHash, "handshake hashes")
        if usesStatic {
            try Expect.equal(responder.remoteStaticPublicKey ?? [], initiator.localStaticPublicKey ?? [1], "initiator's static key as the responder saw it")
        }

        var (initiatorSend, initiatorReceive) = try Expect.succeeds("split") { () throws(NoiseError) in try initiator.split() }
        var (responderReceive, responderSend) = try Expect.succeeds("split") { () throws(NoiseError) in try responder.split() }
        for round in 0..<3 {
            for (sender, receiver) in [(0, 1), (1, 0)] {
                let plaintext = Secrets.bytes(100 + 150 * round, "transport \(round) \(sender)")
                let sealed = try Expect.succeeds("encrypt") { () throws(NoiseError) in
                    sender == 0
                        ? try initiatorSend.encrypt(plaintext, associatedData: [])
                        : try responderSend.encrypt(plaintext, associatedData: [])
                }
                var tampered = sealed
                tampered[round] ^= 4
                try Expect.fails("decrypt of a tampered transport message") { () throws(NoiseError) in
                    _ = receiver == 1
                        ? try responderReceive.decrypt(tampered, associatedData: [])
                        : try initiatorReceive.decrypt(tampered, associatedData: [])
                }
                let opened = try Expect.succeeds("decrypt") { () throws(NoiseError) in
                    receiver == 1
                        ? try responderReceive.decrypt(sealed, associatedData: [])
                        : try initiatorReceive.decrypt(sealed, associatedData: [])
                }
                try Expect.equal(opened, Secrets.publicBytes(100 + 150 * round, "transport \(round) \(sender)"), "transport message")
            }
        }
        // Noise 11.3: both sides rekey and still understand each other.
        try Expect.succeeds("rekey") { () throws(NoiseError) in
            try initiatorSend.rekey()
            try responderReceive.rekey()
        }
        let plaintext = Secrets.bytes(64, "after rekey")
        var buffer = plaintext + [UInt8](repeating: 0, count: CipherState.tagByteCount)
        let inPlace = buffer.withUnsafeMutableBytes { buffer -> (any Error)? in
            let body = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<64])
            do {
                try initiatorSend.encrypt(inPlace: body, tag: buffer.baseAddress! + 64)
                try responderReceive.decrypt(inPlace: body, tag: UnsafeRawPointer(buffer.baseAddress! + 64))
                return nil
            } catch {
                return error
            }
        }
        if let inPlace { throw CheckFailure(description: "in-place transport after rekey failed: \(inPlace)") }
        try Expect.equal(Array(buffer.prefix(64)), Secrets.publicBytes(64, "after rekey"), "message after rekey")
    }
}
