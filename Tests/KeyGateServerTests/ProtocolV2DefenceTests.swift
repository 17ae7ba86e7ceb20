import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateCrypto
import KeyGateFTP
import KeyGateKeys
import KeyGateNoise
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Synchronization
import Testing

/// The attacks protocol version 2 closes (PROTOCOL.md section 0), each
/// tried for real against a server on 127.0.0.1.
@Suite(.exclusiveNetwork)
struct ProtocolV2DefenceTests {
    static func chatServer(configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start(services: [ChatService(log: Log(level: .error, destination: .memory))], configure: configure)
    }

    // MARK: FTP data keys

    /// Version 1 keyed FTP data connections with the handshake hash. An
    /// eavesdropper recomputes it from the recorded control frames alone,
    /// races the client to the passive port with the psk version 1 would
    /// use, and is refused; the genuine transfer completes.
    @Test func anEavesdropperWithTheHandshakeHashCannotTakeTheDataConnection() async throws {
        let server = try await FTPTestServer.start()
        try await server.write(Array("quarterly figures".utf8), to: "report.txt")
        let relay = try RecordingRelay.start(to: server.port)
        var options = try await server.options("alice")
        options.port = relay.port
        let session = try await GateClient.connect(options)
        let client = try await FTPClient.start(session, timeout: .seconds(20))
        // What a passive observer has: the control connection's frames.
        let recording = try #require(relay.connections.first)
        let sent = framePayloads(recording.fromClient)
        let received = framePayloads(recording.fromServer)
        try #require(sent.count == 3 && received.count >= 2)
        let hash = Self.xxHandshakeHash(protocolName: sent[0], messages: [sent[1], received[0], sent[2]])
        #expect(hash == (await session.channel.sessionKeys).handshakeHash, "the eavesdropper's h is the session's")
        // The attacker gets to the passive port first.
        let reply = try await client.require(FTPCommand(verb: "EPSV"), .enteringExtendedPassiveMode)
        let port = try #require(FTPReply.extendedPassivePort(in: reply.text))
        let versionOnePsk = HMACSHA256.authenticate(key: hash, message: Array("ftp-data".utf8) + [0, 0, 0, 0, 0, 0, 0, 1])
        let attacker = try await TCPConnection.connect(to: session.dataAddress.withPort(port))
        await #expect(throws: ChannelError.self) {
            try await SecureChannel.dataConnectionHandshake(
                over: attacker, initiator: true, diffieHellman: Curve25519(), presharedKey: versionOnePsk, deadline: .now + .seconds(10))
        }
        await attacker.close()
        let data = try await client.connectData(port: port, passiveNumber: 1)
        #expect(try await client.request(FTPCommand(verb: "RETR", argument: "report.txt")).code == .openingDataConnection)
        #expect(try await data.receiveData() == Array("quarterly figures".utf8))
        #expect(try await data.receiveData() == nil)
        #expect(try await client.readReply().code == .transferComplete)
        #expect(server.server.logLines(containing: "stranger on passive port closed").count == 1)
        await client.quit()
        await relay.stop()
        await server.stopAndRemove()
    }

    /// The handshake hash of an XX 25519 handshake from its public bytes
    /// alone (Noise section 5.2: MixHash of every key and ciphertext).
    static func xxHandshakeHash(protocolName: [UInt8], messages: [[UInt8]]) -> [UInt8] {
        var hash = protocolName.count <= 32 ? protocolName + [UInt8](repeating: 0, count: 32 - protocolName.count)
            : SHA256.hash(protocolName)
        func mix(_ data: [UInt8]) { hash = SHA256.hash(hash + data) }
        mix(KeyGateWire.prologuePrefix + protocolName)
        let (first, second, third) = (messages[0], messages[1], messages[2])
        mix(Array(first[0..<32]))  // -> e
        mix(Array(first[32...]))  // empty payload, no key yet
        mix(Array(second[0..<32]))  // <- e
        mix(Array(second[32..<80]))  // <- s, encrypted
        mix(Array(second[80...]))  // payload
        mix(Array(third[0..<48]))  // -> s, encrypted
        mix(Array(third[48...]))  // payload "ftp"
        return hash
    }

    // MARK: IK replay and clock

    /// A recorded IK message 1 replayed 200 times against a 5-port range:
    /// no grant, no port held, nothing logged as a login; a fresh client
    /// still gets in, again and again.
    @Test func aReplayedIKMessageGetsNoGrantAndHoldsNoPort() async throws {
        let server = try await Self.chatServer { $0.dataPorts = 22100...22104 }
        let relay = try RecordingRelay.start(to: server.port)
        var options = try await server.client("alice", pinned: true)
        options.port = relay.port
        await (try await GateClient.connect(options)).channel.close()
        let recording = try #require(relay.connections.first)
        let replay = recording.fromClient
        #expect(framePayloads(replay).count == 2, "IK: the protocol name and message 1")
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        // In rounds of 20 at a time: 200 at once would meet the per-source
        // limit on handshakes in progress, which is not what is tried here.
        for _ in 0..<10 {
            try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let connection = try await TCPConnection.connect(to: address, deadline: .after(.seconds(10)))
                        try await connection.write(replay)
                        var answer: [UInt8] = []
                        while let bytes = try await connection.read(deadline: .after(.seconds(10))) { answer += bytes }
                        await connection.close()
                        return answer
                    }
                }
                for try await answer in group {
                    #expect(answer.isEmpty, "closed without message 2")
                }
            }
        }
        #expect(server.logLines(containing: "granted").count == 1)
        // The first replay in full, the others counted (FailureLog).
        #expect(server.logLines(containing: "reason=ik-replayed").count == 1)
        options.port = server.port
        for _ in 0..<6 {
            await (try await GateClient.connect(options)).channel.close()
        }
        #expect(server.logLines(containing: "granted").count == 7)
        await relay.stop()
        await server.stop()
        #expect(server.logLines(containing: "repeated failures").contains { $0.contains("refused_ik_message=199") })
        server.directory.remove()
    }

    @Test(arguments: [300, -300])
    func anIKClientWhoseClockIsOffGetsTheClockSkewDenial(offsetSeconds: Int) async throws {
        let server = try await Self.chatServer()
        var options = try await server.client("alice", pinned: true)
        options.clock = WallClock.system.shifted(by: .seconds(offsetSeconds))
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return reason.hasPrefix("clock skew") && reason.contains("\(abs(offsetSeconds)) s") && !retry
                && error.exitStatus == .denied && error.description.contains("set the clock right")
                && error.description.contains("leave out --server-key")
        }
        #expect(server.logLines(containing: "granted").isEmpty)
        #expect(server.logLines(containing: "reason=ik-stale").count == 1)
        // XX carries no clock: the same client gets in that way.
        options.pinnedServerKey = nil
        await (try await GateClient.connect(options)).channel.close()
        await server.stopAndRemove()
    }

    // MARK: Crowded data ports

    /// Silent strangers, from the client's own address and another one,
    /// keep 16 connections open on every port of a small range; clients
    /// still resume and move files on it. Sessions go on (six at least)
    /// until the server has had to replace a stranger at least once, so
    /// that the crowding is known to have happened however fast the
    /// sessions run.
    @Test func silentStrangersOnEveryPortDoNotStopSessions() async throws {
        let range: ClosedRange<UInt16> = 22110...22115
        let server = try await FTPTestServer.start { $0.dataPorts = range }
        let strangers = Task {
            await withDiscardingTaskGroup { group in
                for source in ["127.0.0.1", "127.0.0.2"] {
                    for port in range {
                        for _ in 0..<16 {
                            group.addTask { await Self.holdSilentConnection(from: source, to: port) }
                        }
                    }
                }
            }
        }
        var rounds = 0
        let deadline = ContinuousClock.now + .seconds(30)
        while rounds < 6 || (!Self.strangerWasReplaced(on: server) && ContinuousClock.now < deadline) {
            let client = try await server.connect("user\(rounds % 2)")
            let bytes = SecureRandom.bytes(count: 100_000 + rounds)
            try await Self.upload(bytes, as: "file\(rounds).bin", with: client)
            #expect(try await Self.download("file\(rounds).bin", with: client) == bytes)
            await client.quit()
            rounds += 1
        }
        strangers.cancel()
        await strangers.value
        #expect(server.server.logLines(containing: "granted").count == rounds)
        #expect(Self.strangerWasReplaced(on: server))
        await server.stopAndRemove()
    }

    static func strangerWasReplaced(on server: FTPTestServer) -> Bool {
        !server.server.logLines(containing: "replaced by a newer connection").isEmpty
    }

    /// Connects from `source` to `port` over and over, sending nothing,
    /// until cancelled.
    static func holdSilentConnection(from source: String, to port: UInt16) async {
        guard let target = try? SocketAddress(host: "127.0.0.1", port: port),
              let local = try? SocketAddress(host: source, port: 0)
        else { return }
        while !Task.isCancelled {
            if let connection = try? await TCPConnection.connect(to: target, from: local, deadline: .after(.seconds(2))) {
                _ = try? await connection.read(deadline: .after(.seconds(30)))
                await connection.close()
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    static func upload(_ bytes: [UInt8], as name: String, with client: FTPClient) async throws {
        try await client.transfer(FTPCommand(verb: "STOR", argument: name)) { data in
            try await data.sendData(bytes)
            try await data.sendEndOfData()
        }
    }

    static func download(_ name: String, with client: FTPClient) async throws -> [UInt8] {
        try await client.transfer(FTPCommand(verb: "RETR", argument: name)) { data in
            var bytes: [UInt8] = []
            while let piece = try await data.receiveData() { bytes += piece }
            return bytes
        }
    }

    // MARK: Handshake floods

    /// One address floods FFDHE2048 message 1s (each costs the server three
    /// modular exponentiations and the flooder nothing) while clients on
    /// another address set up sessions one after the other. The bound: every
    /// genuine setup completes within one second. Measured on 2 cores: about
    /// 15 ms each during the flood, 3 to 4 ms without it; the flooder's
    /// computing waits behind theirs, and one core stays free of handshake
    /// computing (`HandshakeScheduler.defaultTurns`).
    @Test func anFFDHEFloodFromOneAddressDoesNotStarveTheOthers() async throws {
        let server = try await Self.chatServer()
        let suite = KeyGateWire.suiteName(pattern: "XX", dh: "FFDHE2048")
        let initiator = try HandshakeState(
            protocolName: suite, initiator: true, prologue: KeyGateWire.prologue(for: suite),
            localStaticKeyPair: PrivateKey.generate(algorithm: .ffdhe2048).keyPair, remoteStaticPublicKey: nil)
        let flood = frame(Array(suite.utf8)) + frame(try initiator.writeMessage(payload: []))
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let flooder = try SocketAddress(host: "127.0.0.2", port: 0)
        let answered = Counter()
        let floodTask = Task {
            await withDiscardingTaskGroup { group in
                for _ in 0..<96 {
                    group.addTask {
                        while !Task.isCancelled {
                            guard let connection = try? await TCPConnection.connect(to: address, from: flooder, deadline: .after(.seconds(5)))
                            else { continue }
                            if (try? await connection.write(flood)) != nil,
                               let reply = try? await connection.read(deadline: .after(.seconds(30))), !reply.isEmpty {
                                answered.add()
                            }
                            await connection.close()
                        }
                    }
                }
            }
        }
        // Let the flood build up before the clients arrive.
        #expect(await eventually { answered.value >= 20 })
        let options = try await server.client("alice")
        var slowest = Duration.zero
        for _ in 0..<20 {
            let started = ContinuousClock.now
            let session = try await GateClient.connect(options)
            slowest = max(slowest, .now - started)
            await session.channel.close()
        }
        floodTask.cancel()
        await floodTask.value
        #expect(slowest < .seconds(1), "slowest genuine setup took \(slowest)")
        #expect(answered.value >= 40, "the flood kept the server busy")
        await server.stopAndRemove()
    }
}

/// A count shared by tasks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
