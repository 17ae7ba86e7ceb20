import Glibc
import KeyGateSystem
import KeyGateChannel
@testable import KeyGateChat
import KeyGateClient
import KeyGateServer
import KeyGateTestSupport
import Testing

/// Rooms, private messages, away, whois, history, flood control and the
/// transcript chain, over real sessions (PROTOCOL.md, "Chat extensions").
@Suite(.exclusiveNetwork)
struct ChatRoomsTests {
    static func server(
        directory: TemporaryDirectory = TemporaryDirectory(), _ chat: (inout ChatConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var configuration = ChatConfiguration()
        chat(&configuration)
        let service = try await ChatService.start(configuration: configuration, log: Log(level: .error, destination: .memory))
        return try await TestServer.start(services: [service], directory: directory)
    }

    /// A member connected and past its own `joined`.
    static func member(_ server: TestServer, _ name: String) async throws -> GateSession {
        let session = try await GateClient.connect(try await server.client(name))
        _ = try await events(from: session) { $0 == .joined(name) }
        return session
    }

    static func events(from session: GateSession, until predicate: (ChatEvent) -> Bool) async throws -> [ChatEvent] {
        try await ChatServiceTests.events(from: session, until: predicate)
    }

    static func send(_ request: ChatRequest, _ session: GateSession) async throws {
        try await session.channel.send(request.json.bytes)
    }

    /// The next event of `session` that is not a join or leave of others.
    static func next(_ session: GateSession) async throws -> ChatEvent? {
        try await events(from: session) { event in
            switch event {
            case .joined, .left: return false
            default: return true
            }
        }.last
    }

    static func message(_ event: ChatEvent?) -> ChatMessage? {
        if case let .message(message)? = event { return message }
        return nil
    }

    @Test func roomsIsolateTheirMessages() async throws {
        let server = try await Self.server()
        let alice = try await Self.member(server, "alice")
        let bob = try await Self.member(server, "bob")
        let carol = try await Self.member(server, "carol")
        for session in [alice, bob] {
            try await Self.send(.join("dev"), session)
            _ = try await Self.events(from: session) { $0 == .joined(session.name, room: "dev") }
        }
        try await Self.send(.say("only for dev", room: "dev"), alice)
        #expect(Self.message(try await Self.next(bob)).map { "\($0.room) \($0.seq) \($0.text)" } == "dev 1 only for dev")
        // carol, in the lobby only, sees her own lobby message next and
        // nothing of dev.
        try await Self.send(.say("lobby here"), carol)
        let seen = try await Self.events(from: carol) { Self.message($0) != nil }
        #expect(seen.compactMap(Self.message).map(\.text) == ["lobby here"])
        #expect(!seen.contains(.joined("alice", room: "dev")))
        // Each room numbers its own messages.
        #expect(Self.message(seen.last)?.seq == 1)
        for session in [alice, bob, carol] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func aNewcomerGetsItsJoinedThenTheHistoryThenLiveMessages() async throws {
        let server = try await Self.server { $0.historyCount = 2 }
        let alice = try await Self.member(server, "alice")
        for text in ["one", "two", "three"] {
            try await Self.send(.say(text), alice)
            _ = try await Self.events(from: alice) { Self.message($0)?.text == text }
        }
        let bob = try await GateClient.connect(try await server.client("bob"))
        let first = try await Self.events(from: bob) { _ in true }
        #expect(first == [.joined("bob")], "its own joined comes first")
        let history = [try await Self.next(bob), try await Self.next(bob)].compactMap(Self.message)
        #expect(history.map(\.text) == ["two", "three"], "the last --chat-history messages")
        #expect(history.allSatisfy { $0.history })
        #expect(history.map(\.seq) == [2, 3])
        try await Self.send(.say("live"), alice)
        let live = Self.message(try await Self.next(bob))
        #expect(live?.text == "live" && live?.history == false && live?.seq == 4)
        for session in [alice, bob] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func noHistoryWhenItIsTurnedOff() async throws {
        let server = try await Self.server { $0.historyCount = 0 }
        let alice = try await Self.member(server, "alice")
        try await Self.send(.say("gone"), alice)
        _ = try await Self.next(alice)
        let bob = try await Self.member(server, "bob")
        try await Self.send(.say("now"), alice)
        #expect(Self.message(try await Self.next(bob))?.text == "now")
        for session in [alice, bob] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func privateMessagesReachEverySessionOfTheNameAndComeBackToTheSender() async throws {
        let server = try await Self.server()
        let alice = try await Self.member(server, "alice")
        let bob = try await Self.member(server, "bob")
        let bobAgain = try await Self.member(server, "bob")
        let carol = try await Self.member(server, "carol")
        try await Self.send(.privateMessage(to: "bob", text: "psst"), alice)
        for session in [bob, bobAgain, alice] {
            guard case let .privateMessage(from, to, text, time)? = try await Self.next(session) else {
                Issue.record("no private message for \(session.name)"); continue
            }
            #expect((from, to, text) == ("alice", "bob", "psst"))
            #expect(time.hasSuffix("Z") && time.count == 24, "RFC 3339 UTC: \(time)")
        }
        // Nobody else saw it: carol's next event is her own message.
        try await Self.send(.say("hi"), carol)
        #expect(Self.message(try await Self.next(carol))?.text == "hi")
        // An unknown or absent name is an error that answers the message.
        try await Self.send(.privateMessage(to: "nobody", text: "hello?"), alice)
        #expect(try await Self.events(from: alice) { $0.isError }.last == .error("nobody is not connected", refused: "private"))
        for session in [alice, bob, bobAgain, carol] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func whoAndWhoisShowAwayTheKeyAndTheRooms() async throws {
        let server = try await Self.server()
        let alice = try await Self.member(server, "alice")
        let bob = try await Self.member(server, "bob")
        try await Self.send(.away("lunch"), bob)
        #expect(try await Self.next(bob) == .notice("you are marked as away: lunch"))
        try await Self.send(.who, alice)
        #expect(try await Self.next(alice) == .who(["alice", "bob"], away: ["bob": "lunch"]))
        try await Self.send(.join("ops"), bob)
        _ = try await Self.events(from: bob) { $0 == .joined("bob", room: "ops") }
        try await Self.send(.whois("bob"), alice)
        guard case let .whois(whois)? = try await Self.next(alice) else { Issue.record("no whois"); return }
        #expect(whois.fingerprint.hasPrefix("SHA256:"))
        #expect(whois.rooms == ["lobby", "ops"] && whois.away == "lunch" && whois.sessions == 1)
        #expect(whois.since.hasSuffix("Z"))
        try await Self.send(.back, bob)
        #expect(try await Self.next(bob) == .notice("you are back"))
        try await Self.send(.who(room: "lobby"), alice)
        #expect(try await Self.next(alice) == .who(["alice", "bob"]))
        try await Self.send(.whois("ghost"), alice)
        #expect(try await Self.next(alice) == .error("ghost is not connected"))
        for session in [alice, bob] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func roomsPartAndActions() async throws {
        let server = try await Self.server()
        let alice = try await Self.member(server, "alice")
        let bob = try await Self.member(server, "bob")
        try await Self.send(.join("#Dev"), alice)
        _ = try await Self.events(from: alice) { $0 == .joined("alice", room: "dev") }
        try await Self.send(.rooms, bob)
        #expect(try await Self.next(bob) == .rooms([.init(name: "dev", members: 1), .init(name: "lobby", members: 2)]))
        try await Self.send(.me("waves", room: "dev"), alice)
        let action = Self.message(try await Self.next(alice))
        #expect(action?.action == true && action?.text == "waves" && action?.room == "dev")
        // Saying in a room one is not in is refused.
        try await Self.send(.say("hello dev", room: "dev"), bob)
        #expect(try await Self.next(bob) == .error("you are not in dev; /join dev first", refused: "say"))
        try await Self.send(.part("dev"), alice)
        #expect(try await Self.events(from: alice) { _ in true } == [.left("alice", room: "dev")])
        try await Self.send(.part("dev"), alice)
        #expect(try await Self.next(alice) == .error("you are not in dev"))
        try await Self.send(.join("no spaces"), alice)
        guard case let .error(text, refused)? = try await Self.next(alice) else { Issue.record("no error"); return }
        #expect(text.hasPrefix("invalid room name") && refused == "join")
        for session in [alice, bob] { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func floodControlRefusesThenDisconnects() async throws {
        let server = try await Self.server {
            $0.ratePerSecond = 1
            $0.burst = 3
            $0.floodDisconnectThreshold = 5
        }
        let alice = try await Self.member(server, "alice")
        for number in 0..<4 { try await Self.send(.say("m\(number)"), alice) }
        let answers = try await Self.events(from: alice) { $0.isError }
        #expect(answers.compactMap(Self.message).map(\.text) == ["m0", "m1", "m2"], "the burst goes through")
        guard case let .error(text, refused)? = answers.last else { Issue.record("no refusal"); return }
        #expect(text.hasPrefix("slow down: at most 1 messages per second (burst 3); you may speak again in "))
        #expect(refused == "say")
        // Going on regardless: disconnected with the reason.
        for number in 0..<10 { try? await Self.send(.say("flood \(number)"), alice) }
        var last: ChatEvent?
        while let message = try? await alice.channel.receive(deadline: .now + .seconds(10)) {
            last = try ChatEvent(parsing: message)
        }
        guard case let .error(reason, _)? = last else { Issue.record("no reason before the end"); return }
        #expect(reason.hasPrefix("disconnected for flooding"))
        #expect(await eventually { server.server.activeSessions == 0 })
        await alice.channel.close()
        await server.stopAndRemove()
    }

    /// Three members in three rooms, 1,000 messages: each member's head of
    /// each room it is in is the same, and follows from the messages it
    /// received by PROTOCOL.md's definition of the chain.
    @Test func transcriptHeadsAgreeAndFollowFromTheMessages() async throws {
        let server = try await Self.server { $0.ratePerSecond = 0 }
        let rooms = ["alpha", "beta", "gamma"]
        var sessions: [GateSession] = []
        for name in ["ann", "ben", "cal"] {
            let session = try await Self.member(server, name)
            for room in rooms {
                try await Self.send(.join(room), session)
                _ = try await Self.events(from: session) { $0 == .joined(name, room: room) }
            }
            sessions.append(session)
        }
        let total = 1000
        let heads = try await withThrowingTaskGroup(of: [String: String].self) { group in
            for (index, session) in sessions.enumerated() {
                group.addTask {
                    var said = 0
                    var chains = Dictionary(uniqueKeysWithValues: rooms.map { ($0, ChatMessage.emptyHead) })
                    var received = 0
                    while received < total {
                        if said < total / 3 + (index < total % 3 ? 1 : 0) {
                            try await Self.send(.say("\(session.name) \(said)", room: rooms[said % 3]), session)
                            said += 1
                        }
                        guard let bytes = try await session.channel.receive(deadline: .now + .seconds(30)) else { break }
                        guard let message = Self.message(try ChatEvent(parsing: bytes)) else { continue }
                        let head = message.chained(after: chains[message.room]!)
                        #expect(Hex.encode(head) == message.hash, "the hash follows from the previous head and the message")
                        chains[message.room] = head
                        received += 1
                    }
                    #expect(received == total)
                    for room in rooms { try await Self.send(.verify(room: room), session) }
                    var reported: [String: String] = [:]
                    while reported.count < rooms.count {
                        guard let bytes = try await session.channel.receive(deadline: .now + .seconds(30)) else { break }
                        if case let .head(room, hash, _)? = try ChatEvent(parsing: bytes) {
                            #expect(hash == Hex.encode(chains[room]!), "the server's head is the one computed here")
                            reported[room] = hash
                        }
                    }
                    return reported
                }
            }
            return try await group.reduce(into: [[String: String]]()) { $0.append($1) }
        }
        #expect(heads.count == 3 && heads.allSatisfy { $0 == heads[0] }, "every member saw byte-identical history")
        for session in sessions { await session.channel.close() }
        await server.stopAndRemove()
    }

    @Test func historyAndTranscriptsSurviveARestartWithTheChatLog() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("chat.log")
        let first = try await Self.server(directory: directory) { $0.logPath = path }
        let alice = try await Self.member(first, "alice")
        for text in ["before", "the restart"] {
            try await Self.send(.say(text), alice)
            _ = try await Self.events(from: alice) { Self.message($0)?.text == text }
        }
        try await Self.send(.verify(), alice)
        guard case let .head(_, headBefore, countBefore)? = try await Self.next(alice) else { Issue.record("no head"); return }
        await alice.channel.close()
        await first.stop()
        // A crash mid-write leaves a torn last line: skipped, never fatal.
        try await onFileThread {
            let descriptor = open(path, O_WRONLY | O_APPEND)
            let torn = Array(#"{"type":"msg","from":"alice","te"#.utf8)
            _ = torn.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
        let second = try await Self.server(directory: directory) { $0.logPath = path }
        let bob = try await GateClient.connect(try await second.client("bob"))
        #expect(try await Self.events(from: bob) { _ in true } == [.joined("bob")])
        let history = [try await Self.next(bob), try await Self.next(bob)].compactMap(Self.message)
        #expect(history.map(\.text) == ["before", "the restart"] && history.allSatisfy { $0.history })
        try await Self.send(.verify(), bob)
        #expect(try await Self.next(bob) == .head(room: "lobby", hash: headBefore, count: countBefore))
        try await Self.send(.say("after"), bob)
        let after = Self.message(try await Self.next(bob))
        #expect(after?.seq == 3, "the room's numbering goes on")
        await bob.channel.close()
        await second.stopAndRemove()
    }
}
