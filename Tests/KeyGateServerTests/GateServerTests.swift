import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateNoise
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// The server end to end, over real sockets on 127.0.0.1.
@Suite(.exclusiveNetwork)
struct GateServerTests {
    static func chatServer(configure: (inout ServerConfiguration) -> Void = { _ in }) async throws -> TestServer {
        try await TestServer.start(services: [ChatService(log: Log(level: .error, destination: .memory))], configure: configure)
    }

    @Test(arguments: [("XX", KeyAlgorithm.x25519), ("IK", .x25519), ("XX", .ffdhe2048), ("IK", .ffdhe2048)])
    func everyDefaultSuiteGetsASession(pattern: String, algorithm: KeyAlgorithm) async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("alice", algorithm: algorithm, pinned: pattern == "IK")
        #expect(options.protocolName == KeyGateWire.suiteName(pattern: pattern, dh: algorithm.diffieHellman.name))
        let session = try await GateClient.connect(options)
        #expect(session.name == "alice")
        #expect(TestServer.dataPorts.contains(session.dataPort))
        try await session.channel.send(ChatRequest.say("hi").json.bytes)
        #expect(try await session.channel.receive() == ChatEvent.joined("alice").json.bytes)
        let said = try #require(try await session.channel.receive())
        guard case let .message(message)? = try ChatEvent(parsing: said) else { Issue.record("not a message"); return }
        #expect((message.from, message.text, message.seq, message.room) == ("alice", "hi", 1, "lobby"))
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func unknownKeyIsDeniedAndNoDataPortIsOpened() async throws {
        let server = try await Self.chatServer { $0.dataPorts = 22990...22999 }
        let options = try await server.client("mallory", allowed: false)
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            (error as? ClientError)?.exitStatus == .denied
        }
        #expect(server.logLines(containing: "granted").isEmpty)
        #expect(server.logLines(containing: "refused source=127.0.0.1 reason=unknown-key").count == 1)
        // Every port of the data range is free: nothing was bound for mallory.
        for port in 22990...22999 {
            let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: UInt16(port)))
            await listener.close()
        }
        await server.stopAndRemove()
    }

    /// A service name that is not UTF-8 names no service: the usual denial.
    @Test func aServiceNameThatIsNotUTF8IsDeniedAsUnknown() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("alice")
        let identity = try #require(try options.keys.loadIdentity(name: "alice", algorithm: .x25519))
        var channel = FramedStream(stream: try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port)))
        let handshake = try HandshakeState(
            protocolName: options.protocolName, initiator: true, prologue: KeyGateWire.prologue(for: options.protocolName),
            localStaticKeyPair: identity.privateKey.keyPair, remoteStaticPublicKey: nil)
        try await channel.writeFrame(Array(options.protocolName.utf8))
        try await channel.writeFrame(try handshake.writeMessage(payload: []))
        _ = try handshake.readMessage(try #require(try await channel.readFrame(deadline: .now + .seconds(10))))
        try await channel.writeFrame(try handshake.writeMessage(payload: [0x63, 0xFF, 0xFE]))
        var receiving = try handshake.split().responderToInitiator
        var reply = try #require(try await channel.readFrame(deadline: .now + .seconds(10)))
        try SecureChannel.open(&reply, with: &receiving)
        #expect(try GrantReply(parsing: reply) == .denied(reason: GrantReply.Reason.unknownService, retry: false))
        await channel.close()
        await server.stopAndRemove()
    }

    @Test func unknownServiceIsDenied() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("alice", service: "telnet")
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return reason == GrantReply.Reason.unknownService && !retry
        }
        await server.stopAndRemove()
    }

    @Test func allowListEditsTakeEffectWithoutARestart() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("carol", allowed: false)
        await #expect(throws: ClientError.self) { try await GateClient.connect(options) }
        let identity = try #require(try options.keys.loadIdentity(name: "carol", algorithm: .x25519))
        _ = try AuthorizedKeys(path: server.keys.authorizedKeysPath).add(identity.publicKey, name: "carol")
        let session = try await GateClient.connect(options)
        #expect(session.name == "carol")
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func aChangedServerKeyIsRefusedWithExit4() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("alice")
        let impostor = PrivateKey.generate(algorithm: .x25519).publicKey
        try KnownHosts(path: options.keys.knownHostsPath).remember(host: "127.0.0.1", port: Int(server.port), key: impostor)
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            (error as? ClientError)?.exitStatus == .serverKeyMismatch
        }
        // The server never learned who the client is: no message 3 arrived.
        #expect(server.logLines(containing: "name=alice").isEmpty)
        await server.stopAndRemove()
    }

    @Test func ikWithAWrongPinnedKeyExplainsTheLikelyCause() async throws {
        let server = try await Self.chatServer()
        var options = try await server.client("alice")
        options.pinnedServerKey = PrivateKey.generate(algorithm: .x25519).publicKey
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            guard let error = error as? ClientError, case .closedDuringHandshake = error else { return false }
            return error.exitStatus == .failure && error.description.contains("--server-key")
        }
        await server.stopAndRemove()
    }

    @Test func knownHostsRecordsTheKeyOnFirstUseAndTrustsItLater() async throws {
        let server = try await Self.chatServer()
        let options = try await server.client("alice")
        await (try await GateClient.connect(options)).channel.close()
        let entries = try KnownHosts(path: options.keys.knownHostsPath).entries()
        #expect(entries.map(\.key) == [server.publicKey()])
        await (try await GateClient.connect(options)).channel.close()
        #expect(try KnownHosts(path: options.keys.knownHostsPath).entries().count == 1)
        await server.stopAndRemove()
    }

    @Test func keysSurviveARestartAndClientsAreStillAdmitted() async throws {
        let directory = TemporaryDirectory()
        let first = try await TestServer.start(services: [ChatService(log: .silent)], directory: directory)
        let fingerprints = first.identities.map(\.fingerprint)
        let options = try await first.client("alice")
        await (try await GateClient.connect(options)).channel.close()
        await first.stop()

        let second = try await TestServer.start(services: [ChatService(log: .silent)], directory: directory)
        #expect(second.identities.map(\.fingerprint) == fingerprints)
        var again = options
        again.port = second.port
        // known_hosts is per host:port; the new control port is a new entry
        // for the same key, and the allow-list still admits alice.
        let session = try await GateClient.connect(again)
        #expect(session.name == "alice")
        await session.channel.close()
        await second.stopAndRemove()
    }

    /// Waiting for the server to stop ends when the waiter is cancelled,
    /// whether the cancellation comes before the wait or during it, and the
    /// server runs on.
    @Test func waitingForTheStopEndsWhenTheWaiterIsCancelled() async throws {
        let server = try await Self.chatServer()
        try await withDeadline(.after(.seconds(10)), while: "waiting for the stop, cancelled first") {
            await withDiscardingTaskGroup { group in
                group.cancelAll()
                group.addTask {
                    #expect(Task.isCancelled)
                    await server.server.waitUntilStopped()
                }
            }
        }
        try await withDeadline(.after(.seconds(10)), while: "waiting for the stop, cancelled while waiting") {
            await withDiscardingTaskGroup { group in
                group.addTask { await server.server.waitUntilStopped() }
                try? await Task.sleep(for: .milliseconds(50))
                group.cancelAll()
            }
        }
        let session = try await GateClient.connect(try await server.client("alice"))
        await session.channel.close()
        await server.stop()
        try await withDeadline(.after(.seconds(10)), while: "waiting for the stop") { await server.server.waitUntilStopped() }
        server.directory.remove()
    }

    @Test func slowLorisHandshakesAreCutAtTheDeadline() async throws {
        let server = try await Self.chatServer { $0.handshakeTimeout = .milliseconds(300) }
        let started = ContinuousClock.now
        let connections = try await withThrowingTaskGroup(of: TCPConnection.self) { group in
            for _ in 0..<20 {
                group.addTask {
                    let connection = try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port))
                    try await connection.write([0])  // half a length prefix, then silence
                    return connection
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for connection in connections {
            #expect(try await connection.read(deadline: .after(.seconds(5))) == nil, "the server closes the connection")
            await connection.close()
        }
        #expect(ContinuousClock.now - started < .seconds(30))
        // One line in full, the other 19 in the summary (FailureLog).
        #expect(server.logLines(containing: "refused source=127.0.0.1 reason=handshake-failed").count == 1)
        await server.stop()
        #expect(server.logLines(containing: "repeated failures").contains { $0.contains("handshake_failed=19") })
        server.directory.remove()
    }

    @Test func surplusHandshakesAreClosedAtOnce() async throws {
        let server = try await Self.chatServer { $0.maximumHandshakes = 3 }
        var idle: [TCPConnection] = []
        for _ in 0..<3 {
            idle.append(try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port)))
        }
        #expect(await eventually { server.logLines(containing: "handshake limit").isEmpty == true })
        let surplus = try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port))
        #expect(try await surplus.read(deadline: .after(.seconds(5))) == nil)
        #expect(server.logLines(containing: "handshake limit reached").count == 1)
        for connection in idle + [surplus] { await connection.close() }
        // Once the idle ones are gone, clients get in again.
        let options = try await server.client("alice")
        let session = try await GateClient.connect(options)
        await session.channel.close()
        await server.stopAndRemove()
    }

    @Test func aFullDataRangeDeniesWithRetry() async throws {
        let server = try await Self.chatServer {
            $0.dataPorts = 22980...22980
            $0.dataPortWait = .milliseconds(200)
        }
        // The only port is held by a granted session that never resumes.
        let holder = try await GrantedButNotResumed.open(server: server, name: "holder")
        let options = try await server.client("alice")
        await #expect {
            try await GateClient.connect(options)
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return retry && reason == GrantReply.Reason.noFreeDataPort && error.exitStatus == .unreachable
        }
        await holder.control.close()
        await server.stopAndRemove()
    }

    /// One key cannot hold more than its share of the data ports: its
    /// third unresumed grant on a 4-port range waits, then is denied as
    /// busy; another key still gets a port.
    @Test func oneKeyCannotHoldMoreThanItsShareOfTheDataPorts() async throws {
        let server = try await Self.chatServer {
            $0.dataPorts = 22970...22973
            $0.dataPortWait = .milliseconds(200)
        }
        let first = try await GrantedButNotResumed.open(server: server, name: "alice")
        let second = try await GrantedButNotResumed.open(server: server, name: "alice")
        await #expect {
            try await GateClient.connect(try await server.client("alice"))
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return retry && reason == GrantReply.Reason.noFreeDataPort
        }
        #expect(server.logLines(containing: "holds 2 data ports, its share").count == 1)
        let bob = try await GateClient.connect(try await server.client("bob"))
        await bob.channel.close()
        for granted in [first, second] { await granted.control.close() }
        await server.stopAndRemove()
    }

    @Test func oneKeyCannotTakeEverySession() async throws {
        let server = try await Self.chatServer { $0.maximumSessions = 4 }
        var sessions: [GateSession] = []
        for _ in 0..<2 {
            sessions.append(try await GateClient.connect(try await server.client("alice")))
        }
        await #expect {
            try await GateClient.connect(try await server.client("alice"))
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, retry) = error else { return false }
            return retry && reason == GrantReply.Reason.tooManySessionsForKey
        }
        sessions.append(try await GateClient.connect(try await server.client("bob")))
        sessions.append(try await GateClient.connect(try await server.client("bob")))
        await #expect {
            try await GateClient.connect(try await server.client("carol"))
        } throws: { error in
            guard let error = error as? ClientError, case let .denied(reason, _) = error else { return false }
            return reason == GrantReply.Reason.tooManySessions
        }
        for session in sessions { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func aSessionNotResumedInTimeExpires() async throws {
        let server = try await Self.chatServer { $0.resumeTimeout = .milliseconds(300) }
        let granted = try await GrantedButNotResumed.open(server: server, name: "alice")
        #expect(await eventually { !server.logLines(containing: "session expired").isEmpty })
        await #expect(throws: SystemError.self) {
            try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: granted.port), deadline: .after(.seconds(2)))
        }
        #expect(await eventually { server.server.activeSessions == 0 })
        await server.stopAndRemove()
    }

    /// Strangers reach the granted port first, with garbage, with another
    /// session's RESUME, or silently; the rightful client still resumes.
    @Test func strangersOnTheDataPortDoNotStopTheRightfulClient() async throws {
        let server = try await Self.chatServer()
        let alice = try await GrantedButNotResumed.open(server: server, name: "alice")
        let bob = try await GrantedButNotResumed.open(server: server, name: "bob")
        let target = try SocketAddress(host: "127.0.0.1", port: alice.port)
        // Garbage.
        let garbage = try await TCPConnection.connect(to: target)
        try await garbage.write([0, 40] + [UInt8](repeating: 0x41, count: 40))
        #expect(try await garbage.read(deadline: .after(.seconds(10))) == nil)
        // Bob's valid RESUME, on alice's port: it does not decrypt there.
        let wrongKey = try await SecureChannel.resume(over: try await TCPConnection.connect(to: target), keys: bob.keys)
        #expect(try await wrongKey.stream.read(upTo: 100, deadline: .now + .seconds(10)) == nil)
        // A silent stranger holds a connection open.
        let silent = try await TCPConnection.connect(to: target)
        // Alice resumes and chats.
        let channel = try await SecureChannel.resume(over: try await TCPConnection.connect(to: target), keys: alice.keys)
        try await channel.send(ChatRequest.say("still mine").json.bytes)
        #expect(try await channel.receive() == ChatEvent.joined("alice").json.bytes)
        let said = try #require(try await channel.receive())
        guard case let .message(message)? = try ChatEvent(parsing: said) else { Issue.record("not a message"); return }
        #expect((message.from, message.text, message.seq) == ("alice", "still mine", 1))
        #expect(server.logLines(containing: "stranger on data port").count == 1, "the first in full")
        for connection in [garbage, silent] { await connection.close() }
        await channel.close()
        await wrongKey.close()
        await bob.control.close()
        await server.stop()
        #expect(server.logLines(containing: "repeated failures").contains { $0.contains("stranger_on_data_port=") })
        server.directory.remove()
    }

    /// A thousand garbage and half-open connections from another address
    /// (127.0.0.2): that source meets its limits, the others get in.
    @Test func garbageFloodDoesNotStopLegitimateClients() async throws {
        let server = try await Self.chatServer { $0.handshakeTimeout = .seconds(2) }
        let address = try SocketAddress(host: "127.0.0.1", port: server.port)
        let flooder = try SocketAddress(host: "127.0.0.2", port: 0)
        let options = try await server.clients(10)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<1000 {
                group.addTask {
                    guard let connection = try? await TCPConnection.connect(to: address, from: flooder, deadline: .after(.seconds(10)))
                    else { return }
                    if index % 2 == 0 {
                        try? await connection.write((0..<64).map { _ in UInt8.random(in: 0...255) })
                    }
                    // Half-open ones just wait to be cut.
                    _ = try? await connection.read(deadline: .after(.seconds(10)))
                    await connection.close()
                }
            }
            for option in options {
                group.addTask {
                    let session = try await GateClient.connect(option)
                    try await session.channel.send(ChatRequest.say("through the flood").json.bytes)
                    while let message = try await session.channel.receive(deadline: .now + .seconds(20)) {
                        if case let .message(said)? = try ChatEvent(parsing: message), said.from == session.name { break }
                    }
                    await session.channel.close()
                }
            }
            try await group.waitForAll()
        }
        #expect(server.logLines(containing: "granted").count == 10)
        await server.stopAndRemove()
    }

    @Test func shutdownEndsSessionsPromptly() async throws {
        let server = try await Self.chatServer()
        let session = try await GateClient.connect(try await server.client("alice"))
        let started = ContinuousClock.now
        await server.stop()
        #expect(ContinuousClock.now - started < .seconds(2))
        // The member was told, then the session closed.
        var messages: [ChatEvent] = []
        while let message = try? await session.channel.receive(deadline: .now + .seconds(2)) {
            if let event = try ChatEvent(parsing: message) { messages.append(event) }
        }
        #expect(messages.contains(.error("server is shutting down")))
        await session.channel.close()
        server.directory.remove()
    }
}

/// A client that has done the handshake and got a grant, but has not
/// connected to its data port yet: the moment strangers could race it.
struct GrantedButNotResumed {
    let control: SecureChannel
    let keys: SessionKeys
    let port: UInt16

    static func open(server: TestServer, name: String) async throws -> GrantedButNotResumed {
        let options = try await server.client(name)
        let identity = try #require(try options.keys.loadIdentity(name: name, algorithm: .x25519))
        let control = try await SecureChannel.clientHandshake(
            over: try await TCPConnection.connect(to: SocketAddress(host: "127.0.0.1", port: server.port)), ClientHandshakeOptions(
            protocolName: options.protocolName, staticKeyPair: identity.privateKey.keyPair, service: "chat",
            deadline: .now + .seconds(10)))
        let reply = try GrantReply(parsing: try #require(try await control.receive(deadline: .now + .seconds(10))))
        guard case let .granted(port, grantedName, _) = reply else {
            throw ClientError.failed("expected a grant, got \(reply)")
        }
        #expect(grantedName == name)
        return GrantedButNotResumed(control: control, keys: await control.sessionKeys, port: port)
    }
}
