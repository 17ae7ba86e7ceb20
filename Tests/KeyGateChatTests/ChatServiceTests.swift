import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateServer
import KeyGateTestSupport
import Testing

/// The chat room over real sessions.
@Suite(.exclusiveNetwork)
struct ChatServiceTests {
    static func server(
        outboxCapacity: Int = 4096, maximumRequestByteCount: Int = 16 * 1024,
        chat: (inout ChatConfiguration) -> Void = { _ in },
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var configuration = ChatConfiguration()
        configuration.outboxCapacity = outboxCapacity
        configuration.maximumRequestByteCount = maximumRequestByteCount
        chat(&configuration)
        return try await TestServer.start(services: [ChatService(
            configuration: configuration, log: Log(level: .error, destination: .memory))], configure: configure)
    }

    /// The message parts tests compare: who, what, where in the room.
    static func said(_ event: ChatEvent?) -> String? {
        guard case let .message(message)? = event else { return nil }
        return "\(message.from):\(message.text):\(message.seq)"
    }

    /// Reads events until `predicate` holds for one; returns all read.
    static func events(
        from session: GateSession, until predicate: (ChatEvent) -> Bool
    ) async throws -> [ChatEvent] {
        var events: [ChatEvent] = []
        while let message = try await session.channel.receive(deadline: .now + .seconds(20)) {
            guard let event = try ChatEvent(parsing: message) else { continue }
            events.append(event)
            if predicate(event) { return events }
        }
        return events
    }

    @Test func everyMemberSeesEveryMessageInTheSameOrder() async throws {
        // Each sends 30 at once: more than the default flood burst.
        let server = try await Self.server(chat: { $0.ratePerSecond = 0 })
        let names = ["alice", "bob", "carol"]
        var sessions: [GateSession] = []
        for name in names {
            let session = try await GateClient.connect(try await server.client(name))
            _ = try await Self.events(from: session) { $0 == .joined(name) }
            sessions.append(session)
        }
        let perClient = 30
        // Everyone talks at once.
        let orders = try await withThrowingTaskGroup(of: [String].self) { group in
            for (index, session) in sessions.enumerated() {
                group.addTask {
                    for number in 0..<perClient {
                        try await session.channel.send(ChatRequest.say("\(names[index]) \(number)").json.bytes)
                    }
                    var seen: [String] = []
                    var lastSeq = 0
                    while seen.count < perClient * names.count {
                        let events = try await Self.events(from: session) { if case .message = $0 { return true }; return false }
                        for case let .message(message) in events {
                            #expect(message.seq > lastSeq, "seq increases")
                            lastSeq = message.seq
                            seen.append("\(message.seq):\(message.text)")
                        }
                    }
                    return seen
                }
            }
            return try await group.reduce(into: [[String]]()) { $0.append($1) }
        }
        #expect(orders.count == 3)
        #expect(orders.allSatisfy { $0 == orders[0] }, "one server-wide order")
        #expect(Set(orders[0].map { $0.split(separator: ":", maxSplits: 1)[1] }).count == perClient * names.count)
        for session in sessions { await session.channel.close() }
        await server.stopAndRemove()
    }

    /// 200 clients at once on this 2-core machine: every one gets a
    /// session and its message back.
    @Test func twoHundredClientsAtOnce() async throws {
        // All 200 come from 127.0.0.1, more handshakes at once than one
        // address may have by default.
        let server = try await Self.server(configure: { $0.sourceLimits.handshakesInProgress = 256 })
        let options = try await server.clients(200)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for option in options {
                group.addTask {
                    let session = try await GateClient.connect(option)
                    try await session.channel.send(ChatRequest.say("hello from \(session.name)").json.bytes)
                    let events = try await Self.events(from: session) {
                        if case let .message(message) = $0 { return message.from == session.name }
                        return false
                    }
                    guard case let .message(message)? = events.last else { Issue.record("no receipt"); return }
                    #expect((message.from, message.text) == (session.name, "hello from \(session.name)"))
                    await session.channel.close()
                }
            }
            try await group.waitForAll()
        }
        #expect(server.logLines(containing: "granted").count == 200)
        await server.stopAndRemove()
    }

    @Test func joinedWhoAndLeftFollowTheProtocol() async throws {
        let server = try await Self.server()
        let alice = try await GateClient.connect(try await server.client("alice"))
        #expect(try await Self.events(from: alice) { _ in true } == [.joined("alice")])
        let bob = try await GateClient.connect(try await server.client("bob"))
        #expect(try await Self.events(from: alice) { _ in true } == [.joined("bob")])
        #expect(try await Self.events(from: bob) { _ in true } == [.joined("bob")])
        // A second session with alice's key: who lists distinct names in join order.
        let aliceAgain = try await GateClient.connect(try await server.client("alice"))
        _ = try await Self.events(from: aliceAgain) { $0 == .joined("alice") }
        try await bob.channel.send(ChatRequest.who.json.bytes)
        #expect(try await Self.events(from: bob) { if case .who = $0 { return true }; return false }.last == .who(["alice", "bob"]))
        // bye: the others are told.
        try await bob.channel.send(ChatRequest.bye.json.bytes)
        #expect(try await Self.events(from: alice) { $0 == .left("bob") }.last == .left("bob"))
        for session in [alice, bob, aliceAgain] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func badRequestsGetAnErrorAndTheSessionGoesOn() async throws {
        let server = try await Self.server()
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await Self.events(from: alice) { $0 == .joined("alice") }
        try await alice.channel.send(Array("this is not json".utf8))
        #expect(try await Self.events(from: alice) { _ in true }.first?.isError == true)
        try await alice.channel.send(Array(#"{"type":"dance"}"#.utf8))
        #expect(try await Self.events(from: alice) { _ in true } == [.error("unknown type 'dance'")])
        // Over the request size limit (16 KiB).
        try await alice.channel.send(ChatRequest.say(String(repeating: "x", count: 20_000)).json.bytes)
        #expect(try await Self.events(from: alice) { _ in true } == [.error("message too long", refused: "say")])
        try await alice.channel.send(ChatRequest.say("still here").json.bytes)
        #expect(Self.said(try await Self.events(from: alice) { _ in true }.first) == "alice:still here:1")
        await alice.channel.close()
        await server.stopAndRemove()
    }

    /// A say whose msg would not fit in one transport message: an error,
    /// and no seq is consumed.
    @Test func aMessageThatWouldNotFitTakesNoSeq() async throws {
        let server = try await Self.server(maximumRequestByteCount: 65519)
        let alice = try await GateClient.connect(try await server.client("alice"))
        _ = try await Self.events(from: alice) { $0 == .joined("alice") }
        // DEL may be sent raw in JSON (20 KB request) but goes out escaped
        // as \u007f, six bytes each: the msg would be 120 KB.
        let request = Array(#"{"type":"say","text":""#.utf8) + [UInt8](repeating: 0x7f, count: 20_000) + Array(#""}"#.utf8)
        try await alice.channel.send(request)
        #expect(try await Self.events(from: alice) { _ in true } == [.error("message too long", refused: "say")])
        try await alice.channel.send(ChatRequest.say("short").json.bytes)
        #expect(Self.said(try await Self.events(from: alice) { _ in true }.first) == "alice:short:1")
        await alice.channel.close()
        await server.stopAndRemove()
    }

    /// A member that stops reading is disconnected with a reason once its
    /// queue is full, and the room goes on for the others.
    @Test func aSlowMemberIsToldAndDisconnectedWithoutStallingTheRoom() async throws {
        let server = try await Self.server(outboxCapacity: 50, maximumRequestByteCount: 65519, chat: { $0.ratePerSecond = 0 })
        let sleeper = try await GateClient.connect(try await server.client("sleeper"))
        let talker = try await GateClient.connect(try await server.client("talker"))
        _ = try await Self.events(from: talker) { $0 == .joined("talker") }
        // The sleeper never reads; the talker sends far more than its queue
        // and the socket buffers hold (40 MB in messages of 40 KB).
        let text = String(repeating: "z", count: 40_000)
        for number in 0..<1000 {
            try await talker.channel.send(ChatRequest.say("\(number) \(text)").json.bytes)
            _ = try await Self.events(from: talker) { if case .message = $0 { return true }; return false }
            if !server.logLines(containing: "too far behind").isEmpty { break }
        }
        #expect(!server.logLines(containing: "too far behind").isEmpty)
        // The sleeper wakes up within its grace period and reads: its
        // backlog, then the reason, then the end.
        var last: ChatEvent?
        while let message = try? await sleeper.channel.receive(deadline: .now + .seconds(10)) {
            last = try ChatEvent(parsing: message)
        }
        #expect(await eventually { server.server.activeSessions == 1 }, "the sleeper's session ended")
        #expect(last?.isError == true)
        if case let .error(text, _)? = last { #expect(text.hasPrefix("too far behind")) }
        await sleeper.channel.close()
        await talker.channel.close()
        await server.stopAndRemove()
    }
}

extension ChatEvent {
    var isError: Bool {
        if case .error = self { return true }
        return false
    }
}
