import KeyGateChannel
import KeyGateKeys
import KeyGateNoise
import Testing

/// `--trace-handshake=explain` against the Noise specification (rev 34):
/// section 5.3's token semantics from each side, section 7.7's payload
/// grades for XX and IK, and none for NNpsk0.
struct HandshakeExplanationTests {
    /// Noise 5.3, one message after another: the operation each token runs
    /// on the side that traces it. `es` is DH(e, rs) for the initiator and
    /// DH(s, re) for the responder; `se` the other way round.
    static let operations: [String: [HandshakeRole: [[String]]]] = [
        "XX": [
            .initiator: [
                ["MixHash(e.public_key)"],
                ["re = next 32 bytes; MixHash(re.public_key)", "MixKey(DH(e, re))", "rs = DecryptAndHash(next 48 bytes)", "MixKey(DH(e, rs))"],
                ["EncryptAndHash(s.public_key)", "MixKey(DH(s, re))"],
            ],
            .responder: [
                ["re = next 32 bytes; MixHash(re.public_key)"],
                ["MixHash(e.public_key)", "MixKey(DH(e, re))", "EncryptAndHash(s.public_key)", "MixKey(DH(s, re))"],
                ["rs = DecryptAndHash(next 48 bytes)", "MixKey(DH(e, rs))"],
            ],
        ],
        "IK": [
            .initiator: [
                ["MixHash(e.public_key)", "MixKey(DH(e, rs))", "EncryptAndHash(s.public_key)", "MixKey(DH(s, rs))"],
                ["re = next 32 bytes; MixHash(re.public_key)", "MixKey(DH(e, re))", "MixKey(DH(s, re))"],
            ],
            .responder: [
                ["re = next 32 bytes; MixHash(re.public_key)", "MixKey(DH(s, re))", "rs = DecryptAndHash(next 48 bytes)", "MixKey(DH(s, rs))"],
                ["MixHash(e.public_key)", "MixKey(DH(e, re))", "MixKey(DH(e, rs))"],
            ],
        ],
        // Noise 9.2: with a psk, e is mixed into the key as well.
        "NNpsk0": [
            .initiator: [
                ["MixKeyAndHash(psk)", "MixHash(e.public_key), MixKey(e.public_key)"],
                ["re = next 32 bytes; MixHash(re.public_key), MixKey(re.public_key)", "MixKey(DH(e, re))"],
            ],
            .responder: [
                ["MixKeyAndHash(psk)", "re = next 32 bytes; MixHash(re.public_key), MixKey(re.public_key)"],
                ["MixHash(e.public_key), MixKey(e.public_key)", "MixKey(DH(e, re))"],
            ],
        ],
    ]

    @Test(arguments: ["XX", "IK", "NNpsk0"], HandshakeRole.allCases)
    func eachTokenRunsTheSpecsOperationForTheSideThatTracesIt(pattern: String, side: HandshakeRole) throws {
        let explained = try TracedHandshake(pattern).explanations(side)
        let expected = try #require(Self.operations[pattern]?[side])
        #expect(explained.map { $0.steps.map(\.operation) } == expected)
        #expect(explained.map(\.pattern) == Array(repeating: pattern, count: expected.count))
        #expect(explained.map(\.side) == Array(repeating: side, count: expected.count))
        #expect(explained.map(\.sender) == (0..<expected.count).map { HandshakeRole.writer(ofMessage: $0) })
    }

    /// Noise 7.7's table, message by message.
    @Test(arguments: [
        ("XX", [PayloadGrades(source: 0, destination: 0), .init(source: 2, destination: 1), .init(source: 2, destination: 5)]),
        ("IK", [PayloadGrades(source: 1, destination: 2), .init(source: 2, destination: 4)]),
    ])
    func xxAndIKPayloadsCarryTheSpecsGrades(pattern: String, grades: [PayloadGrades]) throws {
        let handshake = try TracedHandshake(pattern)
        for side in HandshakeRole.allCases {
            #expect(try handshake.explanations(side).map(\.grades) == grades)
        }
    }

    @Test func nnpsk0HasNoGradesTheSpecGradesNoPskPattern() throws {
        let explained = try TracedHandshake("NNpsk0").explanations(.responder)
        #expect(explained.allSatisfy { $0.grades == nil })
        let lines = explained[0].lines(peer: "p")
        #expect(lines.contains { $0.contains("grades no NNpsk0 payload") }, "\(lines)")
        #expect(PayloadGrades.handshake(pattern: "XXpsk3", message: 0) == nil)
    }

    @Test func gradesAreWorded() {
        #expect(PayloadGrades(source: 2, destination: 1).destinationText == "destination 1: Encryption to an ephemeral recipient")
        #expect(PayloadGrades(source: 0, destination: 0).sourceText == "source 0: No authentication")
        #expect(PayloadGrades(source: 1, destination: 2).sourceText
            == "source 1: Sender authentication vulnerable to key-compromise impersonation (KCI)")
        #expect(PayloadGrades(source: 2, destination: 5).destinationText
            == "destination 5: Encryption to a known recipient, strong forward secrecy")
    }

    /// Noise 7.7: a transport payload has its sender's last handshake
    /// payload's grades until the table lists another, and an IK
    /// responder's (2, 5) applies only once the initiator's first arrived.
    @Test func theFirstTransportPayloadsGrades() {
        #expect(PayloadGrades.firstTransport(pattern: "XX", fromInitiator: false) == PayloadGrades(source: 2, destination: 5))
        #expect(PayloadGrades.firstTransport(pattern: "IK", fromInitiator: false) == PayloadGrades(source: 2, destination: 4))
        #expect(PayloadGrades.firstTransport(pattern: "IK", fromInitiator: true) == PayloadGrades(source: 2, destination: 5))
        #expect(PayloadGrades.firstTransport(pattern: "NNpsk0", fromInitiator: true) == nil)
    }

    /// Each side names every key by whose it is, as it sees it.
    @Test(arguments: ["XX", "IK"])
    func keysAreNamedByTheirOwnerFromTheSideThatPrints(pattern: String) throws {
        let handshake = try TracedHandshake(pattern)
        for side in HandshakeRole.allCases {
            for message in try handshake.explanations(side) {
                for step in message.steps {
                    let owner = message.sender == side ? "our (\(message.sender.party)'s)" : "the \(message.sender.party)'s"
                    switch step.token {
                    case .e:
                        #expect(step.keyOwner == message.sender)
                        #expect(step.meaning.hasPrefix(message.sender == side ? "\(owner) new ephemeral" : "\(owner) ephemeral"),
                                "\(side) message \(message.number): \(step.meaning)")
                    case .s:
                        #expect(step.keyOwner == message.sender)
                        #expect(step.meaning.hasPrefix("\(owner) static"), "\(side) message \(message.number): \(step.meaning)")
                    default:
                        // DH(local, remote): ours first, then the peer's.
                        #expect(step.meaning.hasPrefix("DH of our (\(side.party)'s)"), "\(step.meaning)")
                        #expect(step.meaning.contains("and the \(side.peer.party)'s"), "\(step.meaning)")
                    }
                }
            }
        }
        let serverView = try handshake.explanations(.responder)
        let first = try #require(serverView[0].steps.first)
        #expect(first.meaning.hasPrefix("the client's ephemeral public key"))
        #expect(first.publicKey == handshake.initiatorEvents[0].message.items[0].publicKey)
    }

    /// The plain trace used to call the client's keys the server's on the
    /// server, and the other way round.
    @Test func thePlainTraceNamesTheWriterOfEachKey() throws {
        let handshake = try TracedHandshake("XX")
        let server = handshake.responderEvents.map { $0.lines(peer: "p") }
        #expect(server[0][1].contains("client's ephemeral public key"), "\(server[0])")
        #expect(server[1][1].contains("server's ephemeral public key"), "\(server[1])")
        #expect(server[1][3].contains("server's static public key"), "\(server[1])")
        #expect(server[2][1].contains("client's static public key"), "\(server[2])")
        let client = handshake.initiatorEvents.map { $0.lines(peer: "p") }
        #expect(client[0][1].contains("client's ephemeral public key"), "\(client[0])")
        #expect(client[1][3].contains("server's static public key \(Fingerprint.of(handshake.responderKeys.publicKey))"), "\(client[1])")
        #expect(client[2][1].contains("client's static public key"), "\(client[2])")
    }

    /// Noise 5.2: the first MixKey makes a cipher key; from then on `s` and
    /// the payload are encrypted.
    @Test(arguments: [("XX", 1, HandshakePattern.Token.ee), ("IK", 0, .es), ("NNpsk0", 0, .psk)])
    func theFirstKeyMixSaysACipherKeyNowExists(pattern: String, message: Int, token: HandshakePattern.Token) throws {
        let explained = try TracedHandshake(pattern).explanations(.initiator)
        let steps = explained.flatMap(\.steps)
        let creating = steps.filter { $0.meaning.contains("a cipher key now exists") }
        #expect(creating.count == 1)
        #expect(creating.first?.token == token)
        #expect(explained[message].steps.contains { $0.token == token && $0.meaning.contains("a cipher key now exists") })
        #expect(explained.map(\.payloadEncrypted) == explained.indices.map { $0 >= message })
        for step in steps where step.token == .s {
            #expect(step.encrypted && step.byteCount == 48, "s after a DH: 32 bytes and a 16-byte tag")
        }
    }

    @Test func payloadsSayWhatKeyGateSends() throws {
        let xx = try TracedHandshake("XX").explanations(.responder)
        #expect(xx.map(\.payloadContents) == ["nothing (the payload is empty)", "nothing (the payload is empty)",
                                              "the service name (chat or ftp), UTF-8"])
        #expect(xx.map(\.payloadByteCount) == [0, 16, 4 + 16])
        #expect(xx.map(\.byteCount) == [32, 32 + 48 + 16, 48 + 4 + 16])
        let ik = try TracedHandshake("IK").explanations(.initiator)
        #expect(ik[0].payloadContents.contains("clock (8 bytes"))
    }

    @Test func explainedLinesGiveOperationsGradesAndPayload() throws {
        let explained = try TracedHandshake("XX").explanations(.initiator)
        let lines = explained[1].lines(peer: "127.0.0.1:7700")
        #expect(lines[0] == "handshake 127.0.0.1:7700 Noise_XX_25519_ChaChaPoly_SHA256: client received message 2 of XX "
            + "(server -> client, 96 bytes)")
        #expect(lines[2].hasPrefix("  ee   MixKey(DH(e, re)): DH of our (client's) ephemeral private key and the server's ephemeral public key"))
        #expect(lines.contains("  Noise 7.7 destination 1: Encryption to an ephemeral recipient"))
        #expect(lines.contains("  Noise 7.7 source 2: Sender authentication resistant to key-compromise impersonation (KCI)"))
        #expect(lines.contains { $0.hasPrefix("  payload DecryptAndHash(payload) [16 bytes, encrypted") })
        #expect(lines.last == "  h = " + HexText.encode(explained[1].handshakeHash))
        let event = try TracedHandshake("XX").initiatorEvents[1]
        #expect(event.lines(peer: "p", detail: .explained).contains { $0.contains("Noise 7.7") })
        #expect(!event.lines(peer: "p", detail: .tokens).contains { $0.contains("Noise 7.7") })
    }

    @Test func recordsAreOneMessageThenOneLinePerToken() throws {
        let handshake = try TracedHandshake("XX")
        let message = try handshake.explanations(.responder)[1]
        let records = message.records(session: "s1", peer: "127.0.0.1:5")
        #expect(records.count == 1 + 4)
        let head = records[0]
        #expect(head["event"] == .string("message"))
        #expect(head["session"] == .string("s1"))
        #expect(head["side"] == .string("responder"))
        #expect(head["pattern"] == .string("XX"))
        #expect(head["message"] == .integer(2))
        #expect(head["token"] == .string("e, ee, s, es"))
        #expect(head["operation"] == .string("WriteMessage"))
        #expect(head["payload_size"] == .integer(96))
        #expect(head["grades"] == .object([("source", .integer(2)), ("destination", .integer(1))]))
        let tokens = records.dropFirst()
        #expect(tokens.map { $0["event"] } == Array(repeating: .string("token"), count: 4))
        #expect(tokens.map { $0["token"]?.stringValue } == ["e", "ee", "s", "es"])
        #expect(tokens.map { $0["operation"]?.stringValue }
            == ["MixHash(e.public_key)", "MixKey(DH(e, re))", "EncryptAndHash(s.public_key)", "MixKey(DH(s, re))"])
        #expect(tokens.map { $0["size"]?.intValue } == [32, 0, 48, 0])
        let staticKey = try #require(tokens.first { $0["token"] == .string("s") })
        #expect(staticKey["public_key"] == .string(HexText.encode(handshake.responderKeys.publicKey)))
        #expect(staticKey["key_owner"] == .string("responder"))
        #expect(tokens.allSatisfy { $0["session"] == .string("s1") && $0["message"] == .integer(2) })
    }

    @Test func hexIsLowercase() {
        #expect(HexText.encode([0x00, 0xab, 0xff, 0x10]) == "00abff10")
        #expect(HexText.isHex("00abff10"))
        #expect(!HexText.isHex("00ABFF10"))
        #expect(!HexText.isHex("abc"))
        #expect(HexText.abbreviated(Array(0..<32)) == "00010203...1c1d1e1f")
    }
}
