import KeyGateCrypto
import KeyGateNoise
import Testing

/// In-memory handshakes and the rules implementations have got wrong.
struct HandshakeStateTests {
    static let dhFunctions = ["25519", "FFDHE2048", "FFDHE3072", "FFDHE4096"]

    /// Runs a complete handshake between two fresh states, checking that both
    /// sides agree, and returns them.
    static func handshake(
        _ protocolName: String, initiatorPayloads: [[UInt8]] = [], responderKnown: Bool = false
    ) throws -> (HandshakeState, HandshakeState) {
        let name = try NoiseProtocolName(protocolName)
        let dh = name.diffieHellman
        let initiatorStatic = dh.generatePrivateKey(using: SystemRandomSource())
        let responderStatic = dh.generatePrivateKey(using: SystemRandomSource())
        let needsRemote = !name.pattern.responderPreMessage.isEmpty
        let initiator = try HandshakeState(
            protocolName: protocolName, initiator: true, prologue: Array("KeyGate/1".utf8),
            localStaticPrivateKey: initiatorStatic, localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: needsRemote ? try dh.publicKey(privateKey: responderStatic) : nil,
            presharedKeys: [])
        let responder = try HandshakeState(
            protocolName: protocolName, initiator: false, prologue: Array("KeyGate/1".utf8),
            localStaticPrivateKey: responderStatic, localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: nil, presharedKeys: [])
        var index = 0
        while !initiator.isComplete {
            let (sender, receiver) = initiator.isMyTurnToWrite ? (initiator, responder) : (responder, initiator)
            let payload = Array("payload \(index)".utf8)
            let message = try sender.writeMessage(payload: payload)
            #expect(try receiver.readMessage(message) == payload)
            index += 1
        }
        #expect(responder.isComplete)
        #expect(initiator.handshakeHash == responder.handshakeHash)
        #expect(initiator.remoteStaticPublicKey == responder.localStaticPublicKey)
        #expect(responder.remoteStaticPublicKey == initiator.localStaticPublicKey)
        return (initiator, responder)
    }

    @Test(arguments: ["XX", "IK"], dhFunctions)
    func handshakeAndTransportAgree(pattern: String, dh: String) throws {
        let (initiator, responder) = try Self.handshake("Noise_\(pattern)_\(dh)_ChaChaPoly_SHA256")
        var (send, _) = try initiator.split()
        var (receive, _) = try responder.split()
        let sealed = try send.encrypt(Array("over the transport".utf8), associatedData: [])
        #expect(try receive.decrypt(sealed, associatedData: []) == Array("over the transport".utf8))
    }

    @Test func messageSizesMatchTheSpecForXX25519() throws {
        let (initiator, _) = try Self.handshake("Noise_XX_25519_ChaChaPoly_SHA256")
        // -> e (32 + payload); <- e, ee, s, es (32 + 48 + payload + 16); -> s, se (48 + payload + 16)
        let sizes = initiator.transcript.map(\.byteCount)
        #expect(sizes == [32 + 9, 32 + 48 + 9 + 16, 48 + 9 + 16])
    }

    @Test func writingOutOfTurnIsAnError() throws {
        let responder = try HandshakeState(
            protocolName: "Noise_NN_25519_ChaChaPoly_SHA256", initiator: false, prologue: [],
            localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        #expect(throws: NoiseError.self) { try responder.writeMessage(payload: []) }
        let initiator = try HandshakeState(
            protocolName: "Noise_NN_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
            localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        #expect(throws: NoiseError.self) { try initiator.readMessage([UInt8](repeating: 0, count: 32)) }
    }

    @Test func callsAfterCompletionAreErrors() throws {
        let (initiator, responder) = try Self.handshake("Noise_XX_25519_ChaChaPoly_SHA256")
        #expect(throws: NoiseError.self) { try initiator.writeMessage(payload: []) }
        #expect(throws: NoiseError.self) { try responder.readMessage([]) }
    }

    @Test func splitBeforeCompletionIsAnError() throws {
        let initiator = try HandshakeState(
            protocolName: "Noise_NN_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
            localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        #expect(throws: NoiseError.self) { try initiator.split() }
    }

    @Test func missingKeysAreReportedAtCreation() {
        #expect(throws: NoiseError.self) {
            // XX needs the initiator's static key.
            try HandshakeState(
                protocolName: "Noise_XX_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        }
        #expect(throws: NoiseError.self) {
            // IK needs the responder's static key in advance.
            try HandshakeState(
                protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
                localStaticPrivateKey: [UInt8](repeating: 1, count: 32), localEphemeralPrivateKey: nil,
                remoteStaticPublicKey: nil, presharedKeys: [])
        }
        #expect(throws: NoiseError.self) {
            try HandshakeState(
                protocolName: "Noise_NNpsk0_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        }
        #expect(throws: NoiseError.self) {
            try HandshakeState(
                protocolName: "Noise_NNpsk0_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil,
                presharedKeys: [[1, 2, 3]])
        }
    }

    /// Two fresh states for `protocolName`, with static keys as the pattern needs.
    static func pair(_ protocolName: String) throws -> (HandshakeState, HandshakeState) {
        let name = try NoiseProtocolName(protocolName)
        let dh = name.diffieHellman
        let initiatorStatic = dh.generatePrivateKey(using: SystemRandomSource())
        let responderStatic = dh.generatePrivateKey(using: SystemRandomSource())
        let initiator = try HandshakeState(
            protocolName: protocolName, initiator: true, prologue: [],
            localStaticPrivateKey: initiatorStatic, localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: name.pattern.responderPreMessage.isEmpty ? nil : try dh.publicKey(privateKey: responderStatic),
            presharedKeys: [])
        let responder = try HandshakeState(
            protocolName: protocolName, initiator: false, prologue: [],
            localStaticPrivateKey: responderStatic, localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: nil, presharedKeys: [])
        return (initiator, responder)
    }

    /// Flipping any bit of any handshake message makes the handshake fail:
    /// at once when the message is authenticated, or at the next message
    /// when it was not (XX message 1 carries only a clear ephemeral key,
    /// which the following messages' handshake hash covers).
    @Test(arguments: ["Noise_XX_25519_ChaChaPoly_SHA256", "Noise_IK_25519_ChaChaPoly_SHA256"])
    func tamperingAnyHandshakeByteFails(protocolName: String) throws {
        let messageCount = try NoiseProtocolName(protocolName).pattern.messages.count
        for target in 0..<messageCount {
            var byteIndex = 0
            while true {
                let (initiator, responder) = try Self.pair(protocolName)
                var tamperedLength = 0
                var failed = false
                for index in 0..<messageCount {
                    let (sender, receiver) = initiator.isMyTurnToWrite ? (initiator, responder) : (responder, initiator)
                    var message = try sender.writeMessage(payload: [0xaa])
                    if index == target {
                        tamperedLength = message.count
                        message[byteIndex] ^= 0x01
                    }
                    do {
                        _ = try receiver.readMessage(message)
                    } catch {
                        failed = true
                        break
                    }
                }
                #expect(failed, "message \(target) byte \(byteIndex) tampered, yet the handshake completed")
                byteIndex += 1
                if byteIndex >= tamperedLength { break }
            }
        }
    }

    /// After an authenticated message fails to decrypt, the receiver's state
    /// is unchanged: the genuine message still completes the handshake.
    /// (XX message 1 carries no tag, so its tampering shows only later.)
    @Test(arguments: [("Noise_XX_25519_ChaChaPoly_SHA256", 1), ("Noise_IK_25519_ChaChaPoly_SHA256", 0)])
    func failedReadLeavesTheHandshakeUntouched(protocolName: String, unauthenticatedMessages: Int) throws {
        let (initiator, responder) = try Self.pair(protocolName)
        var index = 0
        while !initiator.isComplete {
            let (sender, receiver) = initiator.isMyTurnToWrite ? (initiator, responder) : (responder, initiator)
            let message = try sender.writeMessage(payload: [0xaa])
            if index >= unauthenticatedMessages {
                var tampered = message
                tampered[tampered.count - 1] ^= 0x01
                let hashBefore = receiver.handshakeHash
                #expect(throws: NoiseError.decryptionFailed) { try receiver.readMessage(tampered) }
                #expect(receiver.handshakeHash == hashBefore)
                #expect(throws: NoiseError.self) { try receiver.readMessage(Array(message.dropLast(17))) }
            }
            #expect(try receiver.readMessage(message) == [0xaa])
            index += 1
        }
        #expect(initiator.handshakeHash == responder.handshakeHash)
    }

    @Test func lowOrderEphemeralFailsTheHandshake() throws {
        let responder = try HandshakeState(
            protocolName: "Noise_NN_25519_ChaChaPoly_SHA256", initiator: false, prologue: [],
            localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        // The initiator's "ephemeral" is the point of order 1 (u = 0).
        _ = try responder.readMessage([UInt8](repeating: 0, count: 32))
        // ee with a zero point gives an all-zero secret: writing must fail.
        #expect(throws: NoiseError.self) { try responder.writeMessage(payload: []) }
    }

    @Test(arguments: [FFDHEGroup.ffdhe2048])
    func invalidFiniteFieldValueFailsTheHandshake(group: FFDHEGroup) throws {
        let protocolName = "Noise_NN_FFDHE2048_ChaChaPoly_SHA256"
        var pMinusOne = group.prime
        pMinusOne[pMinusOne.count - 1] -= 1
        var one = [UInt8](repeating: 0, count: group.byteCount)
        one[one.count - 1] = 1
        for bad in [[UInt8](repeating: 0, count: group.byteCount), one, pMinusOne, group.prime] {
            let responder = try HandshakeState(
                protocolName: protocolName, initiator: false, prologue: [],
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
            _ = try responder.readMessage(bad)
            #expect(throws: NoiseError.self) { try responder.writeMessage(payload: []) }
        }
    }

    @Test func differentProloguesFail() throws {
        func state(_ initiator: Bool, _ prologue: String) throws -> HandshakeState {
            try HandshakeState(
                protocolName: "Noise_NN_25519_ChaChaPoly_SHA256", initiator: initiator, prologue: Array(prologue.utf8),
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        }
        let initiator = try state(true, "KeyGate/1")
        let responder = try state(false, "KeyGate/2")
        _ = try responder.readMessage(try initiator.writeMessage(payload: []))
        #expect(throws: NoiseError.decryptionFailed) { try initiator.readMessage(try responder.writeMessage(payload: [])) }
    }

    @Test func wrongPinnedServerKeyFailsIK() throws {
        let dh = Curve25519()
        let serverStatic = dh.generatePrivateKey(using: SystemRandomSource())
        let wrongServer = try dh.publicKey(privateKey: dh.generatePrivateKey(using: SystemRandomSource()))
        let initiator = try HandshakeState(
            protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", initiator: true, prologue: [],
            localStaticPrivateKey: dh.generatePrivateKey(using: SystemRandomSource()), localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: wrongServer, presharedKeys: [])
        let responder = try HandshakeState(
            protocolName: "Noise_IK_25519_ChaChaPoly_SHA256", initiator: false, prologue: [],
            localStaticPrivateKey: serverStatic, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil, presharedKeys: [])
        #expect(throws: NoiseError.decryptionFailed) { try responder.readMessage(try initiator.writeMessage(payload: [])) }
    }

    @Test func pskMismatchFails() throws {
        func state(_ initiator: Bool, _ psk: UInt8) throws -> HandshakeState {
            try HandshakeState(
                protocolName: "Noise_NNpsk0_25519_ChaChaPoly_SHA256", initiator: initiator, prologue: [],
                localStaticPrivateKey: nil, localEphemeralPrivateKey: nil, remoteStaticPublicKey: nil,
                presharedKeys: [[UInt8](repeating: psk, count: 32)])
        }
        let initiator = try state(true, 1)
        let responder = try state(false, 2)
        #expect(throws: NoiseError.decryptionFailed) { try responder.readMessage(try initiator.writeMessage(payload: [])) }
    }

    @Test func traceRecordsPublicKeysNeverSecrets() throws {
        let (initiator, _) = try Self.handshake("Noise_XX_25519_ChaChaPoly_SHA256")
        let tokens = initiator.transcript.map { $0.items.compactMap(\.token) }
        #expect(tokens == [[.e], [.e, .ee, .s, .es], [.s, .se]])
        #expect(initiator.transcript[0].items[0].publicKey == initiator.localEphemeralPublicKey)
        #expect(initiator.transcript[1].items[2].publicKey == initiator.remoteStaticPublicKey)
        #expect(initiator.transcript.last?.handshakeHash == initiator.handshakeHash)
    }
}
