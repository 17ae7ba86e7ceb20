import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys

/// Many real clients against a running server (`keygate bench`): phase 1
/// sets up N sessions, K at a time; for chat, phase 2 has every client say
/// M messages, each after the previous one came back.
public enum SessionBench {
    /// What to measure; the defaults are those of `keygate bench`.
    public struct Configuration: Sendable {
        /// Concurrent clients, all with the same identity.
        public var clients = 100
        public static let clientRange = 1...20_000
        /// Chat messages each client says, one at a time (0 for FTP).
        public var messages = 100
        public static let messageRange = 0...1_000_000
        /// Session setups in flight at once.
        public var concurrency = 64
        public static let concurrencyRange = 1...10_000
        /// Messages per second per client; 0 says each as soon as the
        /// previous one came back.
        public var rate: Double = 0
        /// How long the sessions stay open after the chat phase.
        public var hold: Duration = .zero
        /// Chat rooms the clients are spread over (client i in
        /// `bench-(i mod rooms)`); 0 keeps everyone in the default room.
        public var rooms = 0
        public static let roomRange = 0...1000

        public init() {}
    }

    /// Runs both phases with `identity` and returns the figures; `note`
    /// gets the lines that explain failures (and the hold), for standard
    /// error.
    public static func run(
        _ configuration: Configuration, options: GateClientOptions, identity: Identity,
        note: @escaping @Sendable (String) -> Void
    ) async -> Report {
        // One untimed session first: it records the server's key in
        // known_hosts (trust on first use writes the file once, not once
        // per concurrent client) and warms both ends up.
        if let warmUp = try? await GateClient.connect(options, identity: identity) {
            await warmUp.channel.close()
        }
        let (sessions, setupTimes, setupFailures, setupElapsed) = await setUp(
            configuration.clients, concurrency: configuration.concurrency, options: options, identity: identity, note: note)
        let (roundTrips, chatFailures, chatElapsed) = await chat(
            sessions, messages: configuration.messages, rate: configuration.rate, rooms: configuration.rooms, note: note)
        if configuration.hold > .zero {
            note("holding \(sessions.count) sessions for \(seconds(configuration.hold)) s")
            try? await Task.sleep(for: configuration.hold)
        }
        for session in sessions { await session.channel.close() }
        return Report(
            clients: configuration.clients, messages: configuration.messages, failed: setupFailures + chatFailures,
            setupsPerSecond: Double(sessions.count) / seconds(setupElapsed),
            setupMilliseconds: setupTimes.map(milliseconds), roundTripMilliseconds: roundTrips.map(milliseconds),
            messagesPerSecond: Double(roundTrips.count) / max(seconds(chatElapsed), 1e-9))
    }

    /// Opens `count` sessions, `concurrency` at a time.
    private static func setUp(
        _ count: Int, concurrency: Int, options: GateClientOptions, identity: Identity, note: @Sendable (String) -> Void
    ) async -> (sessions: [GateSession], times: [Duration], failures: Int, elapsed: Duration) {
        let started = ContinuousClock.now
        var sessions: [GateSession] = []
        var times: [Duration] = []
        var failures = 0
        var firstError: ClientError?
        await withTaskGroup(of: Result<GateSession, ClientError>.self) { group in
            var launched = 0
            func launch() {
                group.addTask {
                    do throws(ClientError) { return .success(try await GateClient.connect(options, identity: identity)) } catch { return .failure(error) }
                }
                launched += 1
            }
            while launched < min(concurrency, count) { launch() }
            for await result in group {
                switch result {
                case let .success(session):
                    sessions.append(session)
                    times.append(session.setupDuration)
                case let .failure(error):
                    failures += 1
                    if firstError == nil { firstError = error }
                }
                if launched < count { launch() }
            }
        }
        if let firstError { note("\(failures) setup(s) failed; first: \(firstError)") }
        return (sessions, times, failures, .now - started)
    }

    /// Every session says `messages` messages, one after the other's receipt.
    private static func chat(
        _ sessions: [GateSession], messages: Int, rate: Double, rooms: Int, note: @Sendable (String) -> Void
    ) async -> (roundTrips: [Duration], failures: Int, elapsed: Duration) {
        guard messages > 0, !sessions.isEmpty else { return ([], 0, .zero) }
        let started = ContinuousClock.now
        var roundTrips: [Duration] = []
        var failures = 0
        await withTaskGroup(of: ([Duration], Bool).self) { group in
            for (index, session) in sessions.enumerated() {
                let room = rooms > 0 ? "bench-\(index % rooms)" : nil
                group.addTask { await Self.talk(session, index: index, messages: messages, rate: rate, room: room) }
            }
            for await (times, succeeded) in group {
                roundTrips += times
                if !succeeded { failures += 1 }
            }
        }
        if failures > 0 { note("\(failures) client(s) failed during the chat phase") }
        return (roundTrips, failures, .now - started)
    }

    /// One client's chat phase: joins `room` (if any), then says each
    /// message there after the previous one came back.
    private static func talk(
        _ session: GateSession, index: Int, messages: Int, rate: Double, room: String?
    ) async -> ([Duration], Bool) {
        if let room {
            guard await join(room, session) else { return ([], false) }
        }
        let receipts = ReceiptWaiter()
        return await withTaskGroup(of: ([Duration], Bool)?.self) { group in
            group.addTask {
                // Reads everything the room delivers and notes our own
                // receipts; only messages that mention this client's text
                // prefix are parsed, so the bench spends its time on the
                // protocol, not on JSON.
                let marker = Array("\"bench \(index) ".utf8)
                while let message = try? await session.channel.receive() {
                    guard Self.contains(message, marker) else { continue }
                    if case let .message(said)? = try? ChatEvent(parsing: message) { receipts.arrived(said.text) }
                }
                receipts.fail()
                return nil
            }
            group.addTask {
                var times: [Duration] = []
                let interval: Duration = rate > 0 ? .nanoseconds(Int64(1e9 / rate)) : .zero
                var nextSend = ContinuousClock.now + interval * Double.random(in: 0..<1)
                for number in 0..<messages {
                    if rate > 0 {
                        try? await Task.sleep(until: nextSend, clock: .continuous)
                        nextSend += interval
                    }
                    let text = "bench \(index) \(number)"
                    let sent = ContinuousClock.now
                    do {
                        try await session.channel.send(ChatRequest.say(text, room: room).json.bytes)
                    } catch {
                        return (times, false)
                    }
                    guard await receipts.wait(for: text) else { return (times, false) }
                    times.append(.now - sent)
                }
                try? await session.channel.send(ChatRequest.bye.json.bytes)
                return (times, true)
            }
            // The sender's outcome; the reader (nil) may end first, when the
            // server closes the session after the sender's bye.
            var outcome: ([Duration], Bool) = ([], false)
            while let result = await group.next() {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            await session.channel.close()
            return outcome
        }
    }

    /// Whether `needle` occurs in `haystack`.
    /// Joins `room` and reads until the server confirms it.
    private static func join(_ room: String, _ session: GateSession) async -> Bool {
        do {
            try await session.channel.send(ChatRequest.join(room).json.bytes)
            while let message = try await session.channel.receive(deadline: .now + .seconds(30)) {
                if case let .joined(name, joined)? = try? ChatEvent(parsing: message), name == session.name, joined == room {
                    return true
                }
            }
        } catch {}
        return false
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count, let first = needle.first else { return needle.isEmpty }
        var index = 0
        while index <= haystack.count - needle.count {
            if haystack[index] == first && haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func milliseconds(_ duration: Duration) -> Double { seconds(duration) * 1000 }
}
