import KeyGateSystem
import Synchronization
import KeyGateChannel
import KeyGateCrypto
import KeyGateNoise
import Testing

struct SecureChannelHandshakeTests {
    static let dhFunctions: [any DiffieHellman & Sendable] = [Curve25519(), FiniteFieldDH(group: .ffdhe2048)]

    @Test(arguments: ["XX", "IK"], [0, 1])
    func bothSidesAgreeAndTheServiceArrives(pattern: String, dhIndex: Int) async throws {
        let fixture = try ChannelFixture(dh: Self.dhFunctions[dhIndex])
        let (client, server, clientKeys, result) = try await fixture.handshake(pattern, service: "ftp")
        #expect(result.service == "ftp")
        #expect(result.protocolName == fixture.suite(pattern))
        #expect(result.clientStaticKey == (try fixture.dh.publicKey(privateKey: fixture.clientStatic)))
        #expect(clientKeys.handshakeHash == result.keys.handshakeHash)
        #expect(clientKeys.remoteStaticKey == fixture.serverPublic)
        try await client.send(Array("hello".utf8))
        #expect(try await server.receive() == Array("hello".utf8))
        try await server.send(Array("grant".utf8))
        #expect(try await client.receive() == Array("grant".utf8))
    }

    @Test func handshakeFramesAreLaidOutAsTheProtocolSays() async throws {
        // Capture the client's bytes: name frame, then XX message 1 (32 bytes).
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let task = Task { try await SecureChannel.clientHandshake(over: a, fixture.clientOptions("XX")) }
        let name = Array(fixture.suite("XX").utf8)
        let expectedHeader = [UInt8(0), UInt8(name.count)] + name + [0, 32]
        var received: [UInt8] = []
        while received.count < expectedHeader.count + 32 {
            received += try #require(try await b.read(upTo: 1024, deadline: .now + .seconds(60)))
        }
        #expect(Array(received.prefix(expectedHeader.count)) == expectedHeader)
        task.cancel()
        await b.close()
        _ = await task.result
    }

    @Test func unsupportedSuiteIsRefused() async throws {
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let options = fixture.serverOptions(accepting: [fixture.suite("XX")])
        let result = Task { try await SecureChannel.serverHandshake(over: b, options) }
        try await FramedStream(stream: a).writeFrame(Array("Noise_NN_25519_ChaChaPoly_SHA256".utf8))
        await #expect(throws: ChannelError.self) { try await result.value }
    }

    @Test func garbageInsteadOfANameIsRefused() async throws {
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let options = fixture.serverOptions()
        let result = Task { try await SecureChannel.serverHandshake(over: b, options) }
        try await a.write([0, 4, 0xff, 0xfe, 0x00, 0x01])
        await #expect(throws: ChannelError.self) { try await result.value }
    }

    @Test func serverKeyCheckAbortsBeforeTheClientRevealsItself() async throws {
        struct Mismatch: Error {}
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let options = fixture.serverOptions()
        let result = Task { try await SecureChannel.serverHandshake(over: b, options) }
        var clientOptions = fixture.clientOptions("XX")
        clientOptions.verifyServerKey = { _ in throw Mismatch() }
        await #expect(throws: Mismatch.self) { try await SecureChannel.clientHandshake(over: a, clientOptions) }
        await a.close()
        // The server never receives message 3.
        await #expect(throws: ChannelError.self) { try await result.value }
    }

    @Test func ikWithAWrongPinnedKeyFails() async throws {
        let fixture = try ChannelFixture()
        let impostor = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let options = fixture.serverOptions()
        let result = Task { try await SecureChannel.serverHandshake(over: b, options) }
        let clientOptions = fixture.clientOptions("IK", pinned: impostor.serverPublic)
        let client = Task { try await SecureChannel.clientHandshake(over: a, clientOptions) }
        await #expect(throws: ChannelError.self) { try await result.value }
        await b.close()
        await #expect(throws: (any Error).self) { try await client.value }
    }

    @Test func nonEmptyPayloadWhereTheSpecSaysEmptyFails() async throws {
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let options = fixture.serverOptions()
        let result = Task { try await SecureChannel.serverHandshake(over: b, options) }
        let raw = FramedStream(stream: a)
        let name = fixture.suite("XX")
        try await raw.writeFrame(Array(name.utf8))
        let handshake = try HandshakeState(
            protocolName: name, initiator: true, prologue: KeyGateWire.prologue(for: name),
            localStaticPrivateKey: fixture.clientStatic, localEphemeralPrivateKey: nil,
            remoteStaticPublicKey: nil, presharedKeys: [])
        try await raw.writeFrame(try handshake.writeMessage(payload: Array("not empty".utf8)))
        await #expect(throws: ChannelError.unexpectedPayload("XX message 1 must have an empty payload, got 9 bytes")) {
            try await result.value
        }
    }

    /// Any single flipped bit anywhere in the client's handshake bytes makes
    /// the handshake fail cleanly on the server, never succeed. A flip in a
    /// length field can leave both sides waiting for bytes that never come:
    /// the deadline ends those, so each trial has a short one and the trials
    /// run side by side.
    @Test(arguments: ["XX", "IK"])
    func tamperingAnyHandshakeByteFails(pattern: String) async throws {
        let fixture = try ChannelFixture()
        let nameLength = fixture.suite(pattern).utf8.count
        // Name frame + message 1 (+ message 3 for XX): client-written bytes.
        let clientBytes = 2 + nameLength + (pattern == "XX" ? (2 + 32) + (2 + 48 + 4 + 16) : (2 + 32 + 48 + 4 + 16))
        let unnoticed = try await withThrowingTaskGroup(of: Int?.self) { group in
            for offset in 0..<clientBytes {
                group.addTask {
                    let (a, b) = InMemoryByteStream.pair()
                    let client = TamperingStream(a, flippingByteAt: offset)
                                var serverOptions = fixture.serverOptions()
                    serverOptions.deadline = .now + .seconds(2)
                    var clientOptions = fixture.clientOptions(pattern, service: "chat")
                    clientOptions.deadline = .now + .seconds(2)
                    let clientTask = Task { try await SecureChannel.clientHandshake(over: client, clientOptions) }
                    let serverOutcome = await Result(catching: { try await SecureChannel.serverHandshake(over: b, serverOptions) })
                    await b.close()
                    await a.close()
                    _ = await clientTask.result
                    if case .success = serverOutcome { return offset }
                    return nil
                }
            }
            var unnoticed: [Int] = []
            for try await offset in group {
                if let offset { unnoticed.append(offset) }
            }
            return unnoticed
        }
        #expect(unnoticed.isEmpty, "flipping these bytes went unnoticed: \(unnoticed)")
    }

    @Test func silentPeerTimesOut() async throws {
        let fixture = try ChannelFixture()
        let (_, b) = InMemoryByteStream.pair()
        var options = fixture.serverOptions()
        options.deadline = .now + .milliseconds(100)
        let started = ContinuousClock.now
        await #expect(throws: TimedOut(while: "reading from memory:a")) {
            try await SecureChannel.serverHandshake(over: b, options)
        }
        // Generous: the point is that it ends; CPU-bound suites may hold both threads.
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func tracingReportsEveryMessageOnBothSides() async throws {
        let fixture = try ChannelFixture()
        let (a, b) = InMemoryByteStream.pair()
        let collected = EventLog()
        var serverOptions = fixture.serverOptions()
        serverOptions.trace = { collected.append($0) }
        var clientOptions = fixture.clientOptions("XX")
        clientOptions.trace = { collected.append($0) }
        let result = Task { try await SecureChannel.serverHandshake(over: b, serverOptions) }
        _ = try await SecureChannel.clientHandshake(over: a, clientOptions)
        _ = try await result.value
        let events = collected.events
        #expect(events.filter(\.isInitiator).count == 3)
        #expect(events.filter { !$0.isInitiator }.count == 3)
    }
}

final class EventLog: Sendable {
    private let storage = Mutex<[HandshakeTraceEvent]>([])
    func append(_ event: HandshakeTraceEvent) { storage.withLock { $0.append(event) } }
    var events: [HandshakeTraceEvent] { storage.withLock { $0 } }
}
