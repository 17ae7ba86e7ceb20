import KeyGateCrypto

/// Noise section 5.3: runs one handshake as initiator or responder.
///
/// Every call works on a copy of the state and commits it only when the
/// whole message was processed, so a message that fails to decrypt, is too
/// short, or carries an invalid key leaves the handshake where it was (Noise
/// 5.1: no nonce advances on failure). Calls out of turn or after completion
/// throw `NoiseError.outOfOrder`.
///
/// Not thread-safe: one handshake belongs to one task.
public final class HandshakeState {
    private var state: State
    /// What each processed message carried, for tracing.
    public private(set) var transcript: [HandshakeMessageTrace] = []

    /// Prepares a handshake.
    ///
    /// - Parameters:
    ///   - protocolName: e.g. `Noise_XX_25519_ChaChaPoly_SHA256`.
    ///   - initiator: whether this side sends the first message.
    ///   - prologue: data both sides must agree on (mixed into h).
    ///   - localStaticPrivateKey: required when the pattern sends or
    ///     pre-shares this side's static key.
    ///   - localEphemeralPrivateKey: fixed only by tests replaying vectors;
    ///     nil generates a fresh one.
    ///   - remoteStaticPublicKey: required when the peer's static key is
    ///     pre-shared (`<- s` for an IK initiator).
    ///   - presharedKeys: one 32-byte key per `psk` token, in order.
    ///   - random: the source of ephemeral keys.
    /// - Throws: `NoiseError` when the name is unsupported or a required key
    ///   is missing or malformed.
    public init(
        protocolName: String, initiator: Bool, prologue: [UInt8],
        localStaticPrivateKey: [UInt8]?, localEphemeralPrivateKey: [UInt8]?,
        remoteStaticPublicKey: [UInt8]?, presharedKeys: [[UInt8]],
        random: RandomSource = SystemRandomSource()
    ) throws(NoiseError) {
        let name = try NoiseProtocolName(protocolName)
        let localStatic = try localStaticPrivateKey.map { (key) throws(NoiseError) in
            try StaticKeyPair(privateKey: key, dh: name.diffieHellman)
        }
        state = try State(
            name: name, initiator: initiator, prologue: prologue,
            localStatic: localStatic, localEphemeral: localEphemeralPrivateKey,
            remoteStatic: remoteStaticPublicKey, presharedKeys: presharedKeys, random: random)
    }

    /// Prepares a handshake with a static key pair whose public key is
    /// already known (see `StaticKeyPair`); otherwise as the designated
    /// initializer, with a fresh ephemeral key.
    public convenience init(
        protocolName: String, initiator: Bool, prologue: [UInt8],
        localStaticKeyPair: StaticKeyPair?, remoteStaticPublicKey: [UInt8]?, presharedKeys: [[UInt8]] = [],
        random: RandomSource = SystemRandomSource()
    ) throws(NoiseError) {
        try self.init(
            protocol: try NoiseProtocolName(protocolName), initiator: initiator, prologue: prologue,
            localStaticKeyPair: localStaticKeyPair, remoteStaticPublicKey: remoteStaticPublicKey,
            presharedKeys: presharedKeys, random: random)
    }

    /// Prepares a handshake for a protocol name parsed already, with a
    /// static key pair whose public key is known; otherwise as the
    /// designated initializer, with a fresh ephemeral key.
    public init(
        protocol name: NoiseProtocolName, initiator: Bool, prologue: [UInt8],
        localStaticKeyPair: StaticKeyPair?, remoteStaticPublicKey: [UInt8]?, presharedKeys: [[UInt8]] = [],
        random: RandomSource = SystemRandomSource()
    ) throws(NoiseError) {
        state = try State(
            name: name, initiator: initiator, prologue: prologue,
            localStatic: localStaticKeyPair, localEphemeral: nil,
            remoteStatic: remoteStaticPublicKey, presharedKeys: presharedKeys, random: random)
    }

    /// The parsed protocol name.
    public var protocolName: NoiseProtocolName { state.name }
    /// Whether this side is the initiator.
    public var isInitiator: Bool { state.initiator }
    /// Whether every handshake message has been written or read.
    public var isComplete: Bool { state.messageIndex == state.pattern.messages.count }
    /// Whether the next call must be `writeMessage` (false: `readMessage`).
    public var isMyTurnToWrite: Bool { !isComplete && state.isWriter }
    /// The handshake hash h: after completion, a unique session identifier
    /// (Noise 11.2, channel binding).
    public var handshakeHash: [UInt8] { state.symmetric.handshakeHash }
    /// The peer's static public key, once known.
    public var remoteStaticPublicKey: [UInt8]? { state.remoteStatic }
    /// This side's static public key, if it has one.
    public var localStaticPublicKey: [UInt8]? { state.localStatic?.publicKey }
    /// This side's ephemeral public key, once generated.
    public var localEphemeralPublicKey: [UInt8]? { state.localEphemeral?.publicKey }
    /// The peer's ephemeral public key, once received.
    public var remoteEphemeralPublicKey: [UInt8]? { state.remoteEphemeral }

    /// WriteMessage: processes the next message's tokens and encrypts
    /// `payload` into it.
    /// - Returns: the message to send.
    /// - Throws: `NoiseError.outOfOrder` when it is the peer's turn or the
    ///   handshake is complete; `NoiseError.messageTooLong` past 65535 bytes.
    public func writeMessage(payload: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete else { throw .outOfOrder("writeMessage after the handshake completed") }
        guard state.isWriter else { throw .outOfOrder("writeMessage when the peer must send next") }
        var next = state
        let (message, trace) = try next.write(payload: payload)
        state = next
        transcript.append(trace)
        return message
    }

    /// ReadMessage: processes the peer's next message.
    /// - Returns: the decrypted payload.
    /// - Throws: `NoiseError.outOfOrder` when it is our turn or the handshake
    ///   is complete; `.decryptionFailed`, `.messageTooShort`,
    ///   `.invalidPeerKey` for bad messages (the state is left unchanged).
    public func readMessage(_ message: [UInt8]) throws(NoiseError) -> [UInt8] {
        guard !isComplete else { throw .outOfOrder("readMessage after the handshake completed") }
        guard !state.isWriter else { throw .outOfOrder("readMessage when this side must send next") }
        var next = state
        let (payload, trace) = try next.read(message: message)
        state = next
        transcript.append(trace)
        return payload
    }

    /// Split(): the transport CipherStates once the handshake is complete.
    /// - Throws: `NoiseError.outOfOrder` before completion.
    public func split() throws(NoiseError) -> (initiatorToResponder: CipherState, responderToInitiator: CipherState) {
        guard isComplete else { throw .outOfOrder("split before the handshake completed") }
        let (first, second) = state.symmetric.split()
        return (first, second)
    }
}

/// What one handshake message carried: its tokens with their sizes and the
/// public keys they revealed. Never holds a secret.
public struct HandshakeMessageTrace: Sendable {
    public struct Item: Sendable {
        /// The token, or nil for the payload.
        public let token: HandshakePattern.Token?
        /// Bytes this token occupies in the message (0 for DH tokens).
        public let byteCount: Int
        /// The public key an `e` or `s` token carried, in clear.
        public let publicKey: [UInt8]?
    }

    /// Index of the message in the handshake, from 0.
    public let index: Int
    /// Whether this side wrote it (false: read it).
    public let written: Bool
    public let items: [Item]
    /// The whole message size.
    public let byteCount: Int
    /// The handshake hash after processing the message.
    public let handshakeHash: [UInt8]
}

extension HandshakeState {
    /// An ephemeral key pair.
    typealias KeyPair = StaticKeyPair

    /// The whole mutable state as one value, so that each message is a
    /// transaction on a copy.
    struct State {
        let name: NoiseProtocolName
        let pattern: HandshakePattern
        let dh: any DiffieHellman
        let initiator: Bool
        let random: RandomSource
        var symmetric: SymmetricState
        var localStatic: StaticKeyPair?
        var localEphemeral: KeyPair?
        /// An ephemeral fixed in advance (tests), used by the first `e` token.
        let fixedEphemeral: [UInt8]?
        var remoteStatic: [UInt8]?
        var remoteEphemeral: [UInt8]?
        var presharedKeys: [SecretBytes]
        var nextPresharedKey = 0
        var messageIndex = 0

        var isWriter: Bool { (messageIndex % 2 == 0) == initiator }
        var usesPresharedKeys: Bool { pattern.presharedKeyCount > 0 }

        init(
            name: NoiseProtocolName, initiator: Bool, prologue: [UInt8],
            localStatic: StaticKeyPair?, localEphemeral: [UInt8]?, remoteStatic: [UInt8]?,
            presharedKeys: [[UInt8]], random: RandomSource
        ) throws(NoiseError) {
            self.name = name
            pattern = name.pattern
            dh = name.diffieHellman
            self.initiator = initiator
            self.random = random
            symmetric = SymmetricState(protocolName: name.description)
            self.presharedKeys = presharedKeys.map(SecretBytes.init)
            fixedEphemeral = localEphemeral
            self.localStatic = localStatic
            if let remoteStatic {
                guard remoteStatic.count == dh.publicKeyByteCount else {
                    throw .invalidKey("remote static key must be \(dh.publicKeyByteCount) bytes for \(dh.name), got \(remoteStatic.count)")
                }
                self.remoteStatic = remoteStatic
            }
            if let localEphemeral, localEphemeral.count != dh.privateKeyByteCount {
                throw .invalidKey("ephemeral private key must be \(dh.privateKeyByteCount) bytes, got \(localEphemeral.count)")
            }
            try checkKeys()
            symmetric.mixHash(prologue)
            // Noise 7: pre-message keys are hashed, initiator's first.
            for token in pattern.initiatorPreMessage {
                try mixPreMessage(token, fromInitiator: true)
            }
            for token in pattern.responderPreMessage {
                try mixPreMessage(token, fromInitiator: false)
            }
        }

        /// Checks that every key the pattern will use is present.
        private func checkKeys() throws(NoiseError) {
            let ownPreMessage = initiator ? pattern.initiatorPreMessage : pattern.responderPreMessage
            let peerPreMessage = initiator ? pattern.responderPreMessage : pattern.initiatorPreMessage
            let sendsStatic = pattern.messages.enumerated().contains { index, tokens in
                (index % 2 == 0) == initiator && tokens.contains(.s)
            }
            if (sendsStatic || ownPreMessage.contains(.s)) && localStatic == nil {
                throw .missingKey("the \(pattern.name) pattern needs this side's static private key")
            }
            if peerPreMessage.contains(.s) && remoteStatic == nil {
                throw .missingKey("the \(pattern.name) pattern needs the peer's static public key in advance")
            }
            if ownPreMessage.contains(.e) || peerPreMessage.contains(.e) {
                throw .unsupportedProtocol(name: name.description, reason: "ephemeral pre-messages are not supported")
            }
            guard presharedKeys.count == pattern.presharedKeyCount else {
                throw .invalidPresharedKey("\(name.description) needs \(pattern.presharedKeyCount) pre-shared keys, got \(presharedKeys.count)")
            }
            for key in presharedKeys where key.count != 32 {
                throw .invalidPresharedKey("a pre-shared key must be 32 bytes, got \(key.count)")
            }
        }

        private mutating func mixPreMessage(_ token: HandshakePattern.Token, fromInitiator: Bool) throws(NoiseError) {
            guard token == .s else {
                throw .unsupportedProtocol(name: name.description, reason: "pre-message token '\(token)'")
            }
            let key = (fromInitiator == initiator) ? localStatic?.publicKey : remoteStatic
            guard let key else { throw .missingKey("pre-message static key") }
            symmetric.mixHash(key)
        }

        mutating func write(payload: [UInt8]) throws(NoiseError) -> ([UInt8], HandshakeMessageTrace) {
            var message: [UInt8] = []
            var items: [HandshakeMessageTrace.Item] = []
            for token in pattern.messages[messageIndex] {
                switch token {
                case .e:
                    var generated = fixedEphemeral ?? dh.generatePrivateKey(using: random)
                    let pair = try StaticKeyPair(privateKey: SecretBytes(wiping: &generated), dh: dh)
                    localEphemeral = pair
                    message += pair.publicKey
                    symmetric.mixHash(pair.publicKey)
                    if usesPresharedKeys { symmetric.mixKey(pair.publicKey) }
                    items.append(.init(token: .e, byteCount: pair.publicKey.count, publicKey: pair.publicKey))
                case .s:
                    guard let localStatic else { throw .missingKey("static key for token s") }
                    let encrypted = try symmetric.encryptAndHash(localStatic.publicKey)
                    message += encrypted
                    items.append(.init(token: .s, byteCount: encrypted.count, publicKey: localStatic.publicKey))
                case .psk:
                    try mixNextPresharedKey()
                    items.append(.init(token: .psk, byteCount: 0, publicKey: nil))
                case .ee, .es, .se, .ss:
                    try mixDiffieHellman(token)
                    items.append(.init(token: token, byteCount: 0, publicKey: nil))
                }
            }
            let encryptedPayload = try symmetric.encryptAndHash(payload)
            message += encryptedPayload
            items.append(.init(token: nil, byteCount: encryptedPayload.count, publicKey: nil))
            guard message.count <= CipherState.maximumMessageByteCount else {
                throw .messageTooLong(message.count)
            }
            let trace = HandshakeMessageTrace(
                index: messageIndex, written: true, items: items, byteCount: message.count,
                handshakeHash: symmetric.handshakeHash)
            messageIndex += 1
            return (message, trace)
        }

        mutating func read(message: [UInt8]) throws(NoiseError) -> ([UInt8], HandshakeMessageTrace) {
            guard message.count <= CipherState.maximumMessageByteCount else {
                throw .messageTooLong(message.count)
            }
            var offset = 0
            var items: [HandshakeMessageTrace.Item] = []
            func take(_ count: Int) throws(NoiseError) -> [UInt8] {
                guard message.count - offset >= count else {
                    throw .messageTooShort(expected: offset + count, actual: message.count)
                }
                defer { offset += count }
                return Array(message[offset..<(offset + count)])
            }
            for token in pattern.messages[messageIndex] {
                switch token {
                case .e:
                    let publicKey = try take(dh.publicKeyByteCount)
                    remoteEphemeral = publicKey
                    symmetric.mixHash(publicKey)
                    if usesPresharedKeys { symmetric.mixKey(publicKey) }
                    items.append(.init(token: .e, byteCount: publicKey.count, publicKey: publicKey))
                case .s:
                    let length = dh.publicKeyByteCount + (symmetric.cipherState.hasKey ? CipherState.tagByteCount : 0)
                    let publicKey = try symmetric.decryptAndHash(try take(length))
                    remoteStatic = publicKey
                    items.append(.init(token: .s, byteCount: length, publicKey: publicKey))
                case .psk:
                    try mixNextPresharedKey()
                    items.append(.init(token: .psk, byteCount: 0, publicKey: nil))
                case .ee, .es, .se, .ss:
                    try mixDiffieHellman(token)
                    items.append(.init(token: token, byteCount: 0, publicKey: nil))
                }
            }
            let rest = Array(message[offset...])
            if symmetric.cipherState.hasKey && rest.count < CipherState.tagByteCount {
                throw .messageTooShort(expected: offset + CipherState.tagByteCount, actual: message.count)
            }
            let payload = try symmetric.decryptAndHash(rest)
            items.append(.init(token: nil, byteCount: rest.count, publicKey: nil))
            let trace = HandshakeMessageTrace(
                index: messageIndex, written: false, items: items, byteCount: message.count,
                handshakeHash: symmetric.handshakeHash)
            messageIndex += 1
            return (payload, trace)
        }

        private mutating func mixNextPresharedKey() throws(NoiseError) {
            guard nextPresharedKey < presharedKeys.count else {
                throw .invalidPresharedKey("the pattern uses more pre-shared keys than were given")
            }
            symmetric.mixKeyAndHash(presharedKeys[nextPresharedKey])
            nextPresharedKey += 1
        }

        /// Noise 7: the DH tokens; es is DH(e, rs) for the initiator and
        /// DH(s, re) for the responder, se the mirror image.
        private mutating func mixDiffieHellman(_ token: HandshakePattern.Token) throws(NoiseError) {
            let useLocalEphemeral: Bool
            let useRemoteEphemeral: Bool
            switch token {
            case .ee: (useLocalEphemeral, useRemoteEphemeral) = (true, true)
            case .ss: (useLocalEphemeral, useRemoteEphemeral) = (false, false)
            case .es: (useLocalEphemeral, useRemoteEphemeral) = initiator ? (true, false) : (false, true)
            case .se: (useLocalEphemeral, useRemoteEphemeral) = initiator ? (false, true) : (true, false)
            default: preconditionFailure("not a DH token: \(token)")
            }
            guard let local = useLocalEphemeral ? localEphemeral : localStatic else {
                throw .missingKey("local \(useLocalEphemeral ? "ephemeral" : "static") key for token \(token)")
            }
            guard let remote = useRemoteEphemeral ? remoteEphemeral : remoteStatic else {
                throw .missingKey("remote \(useRemoteEphemeral ? "ephemeral" : "static") key for token \(token)")
            }
            var shared = try local.privateKey.withTemporaryArray { (privateKey) throws(NoiseError) in
                try dh.agree(privateKey: privateKey, publicKey: remote)
            }
            symmetric.mixKey(SecretBytes(wiping: &shared))
        }
    }
}
