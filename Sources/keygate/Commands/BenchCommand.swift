import KeyGateSystem
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import Synchronization

/// `keygate bench`: many real clients against a running server.
struct BenchCommand: Command {
    let spec = CommandSpec(
        name: "bench",
        summary: "Measure a running server: session setups, chat round trips, FTP transfers.",
        usage: "HOST[:PORT] [--service chat|ftp] [--clients N] [--messages M] [--size BYTES] [--keys DIR] [--name NAME] [--json]",
        options: [
            .keys, .clientName, .serverKey, .dh,
            .init("service", value: "NAME", help: "chat (default): setups and round trips; ftp: setups, or one upload and download of --size."),
            .init("size", value: "BYTES", help: "FTP: file size, e.g. 1073741824, 512M or 1G (default 256M; 0 only sets up sessions)."),
            .init("dir", value: "DIR", help: "FTP: folder for the local files (default /tmp; /dev/shm keeps disks out of it)."),
            .init("clients", value: "N", help: "Concurrent clients, all with the same identity (default 100)."),
            .init("messages", value: "M", help: "Chat messages each client says, one at a time (default 100)."),
            .init("concurrency", value: "K", help: "Session setups in flight at once (default 64)."),
            .init("rate", value: "R",
                  help: "Messages per second per client in phase 2; 0 (default) says each as soon as the previous came back."),
            .init("hold", value: "SECONDS",
                  help: "Keep the sessions open this long after the chat phase (to measure an idle server)."),
            .init("json", help: "Print one JSON object with the figures."),
            .timeout,
        ],
        discussion: """
            After one untimed session (which records the server's key on
            first use), phase 1 sets up N sessions (handshake, grant,
            resume), K at a time, and reports setups per second and the
            setup latency. Phase 2
            has every client say M messages, each after the previous one came
            back, and reports the round-trip latency and the messages per
            second; every member receives every message, so the server
            delivers N*N*M messages. Flat out (the default), the round trip
            measures a saturated server; with --rate R each client says R
            messages per second (at a random phase), which measures the
            latency at that load. The identity must be in the server's
            allow-list. Exit status 0 only when no client failed.

            JSON keys: clients, messages, failed, setups_per_s, setup_p50_ms,
            setup_p99_ms, rtt_p50_ms, rtt_p99_ms, messages_per_s.

            With --service ftp and a --size, one session uploads a file of
            pseudo-random bytes (STOR), downloads it again (RETR), checks the
            size and removes both copies and the remote file; each figure is
            the size divided by the time from the passive command to the final
            226, in MB/s (JSON keys bytes, upload_mb_per_s, download_mb_per_s).
            With --size 0, N idle FTP sessions are set up (and held with
            --hold), as for chat without the chat phase.
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let server = try HostAndPort(parsing: try arguments.singlePositional("HOST[:PORT]", command: spec.name),
                                     defaultPort: KeyGateWire.defaultControlPort)
        let service = arguments.value("service") ?? KeyGateWire.chatService
        switch service {
        case KeyGateWire.chatService:
            return try await runSessions(arguments, server: server, service: service)
        case KeyGateWire.ftpService:
            let size = try Self.parseSize(arguments.value("size") ?? "256M")
            if size == 0 { return try await runSessions(arguments, server: server, service: service) }
            return try await runTransfer(arguments, server: server, size: size)
        default:
            throw UsageError("--service must be chat or ftp, got '\(service)'")
        }
    }

    /// Sets up N sessions of `service`; for chat, then the round trips.
    private func runSessions(_ arguments: ParsedArguments, server: HostAndPort, service: String) async throws -> ExitStatus {
        let clients = try arguments.integer("clients", default: 100, in: 1...20_000)
        let messages = service == KeyGateWire.chatService
            ? try arguments.integer("messages", default: 100, in: 0...1_000_000) : 0
        let concurrency = try arguments.integer("concurrency", default: 64, in: 1...10_000)
        let rate = try arguments.nonNegativeNumber("rate", default: 0)
        let log = Log(level: .warning)
        let options = try arguments.gateClientOptions(server: server, service: service, log: log)
        let identity: Identity
        do {
            let keys = options.keys, name = options.identityName, algorithm = options.algorithm
            identity = try await KeyFileIO.perform { try keys.loadOrCreateIdentity(name: name, algorithm: algorithm).identity }
        } catch {
            printError("keygate bench: client key: \(error)")
            return .failure
        }

        // One untimed session first: it records the server's key in
        // known_hosts (trust on first use writes the file once, not once
        // per concurrent client) and warms both ends up.
        if let warmUp = try? await GateClient.connect(options, identity: identity) {
            await warmUp.channel.close()
        }
        let (sessions, setupTimes, setupFailures, setupElapsed) = await setUp(clients, concurrency: concurrency, options: options, identity: identity)
        let (roundTrips, chatFailures, chatElapsed) = await chat(sessions, messages: messages, rate: rate)
        let hold = try arguments.nonNegativeNumber("hold", default: 0)
        if hold > 0 {
            // stderr, so scripts can wait for this line while stdout stays JSON.
            printError("keygate bench: holding \(sessions.count) sessions for \(hold) s")
            try? await Task.sleep(for: .milliseconds(Int(hold * 1000)))
        }
        for session in sessions { await session.channel.close() }

        let report = Report(
            clients: clients, messages: messages, failed: setupFailures + chatFailures,
            setupsPerSecond: Double(sessions.count) / Self.seconds(setupElapsed),
            setupMilliseconds: setupTimes.map(Self.milliseconds), roundTripMilliseconds: roundTrips.map(Self.milliseconds),
            messagesPerSecond: Double(roundTrips.count) / max(Self.seconds(chatElapsed), 1e-9))
        print(arguments.flag("json") ? report.json : report.table)
        await log.flush()
        return report.failed == 0 ? .success : .failure
    }

    /// Opens `count` sessions, `concurrency` at a time.
    private func setUp(
        _ count: Int, concurrency: Int, options: GateClientOptions, identity: Identity
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
        if let firstError { printError("keygate bench: \(failures) setup(s) failed; first: \(firstError)") }
        return (sessions, times, failures, .now - started)
    }

    /// Every session says `messages` messages, one after the other's receipt.
    private func chat(
        _ sessions: [GateSession], messages: Int, rate: Double
    ) async -> (roundTrips: [Duration], failures: Int, elapsed: Duration) {
        guard messages > 0, !sessions.isEmpty else { return ([], 0, .zero) }
        let started = ContinuousClock.now
        var roundTrips: [Duration] = []
        var failures = 0
        await withTaskGroup(of: ([Duration], Bool).self) { group in
            for (index, session) in sessions.enumerated() {
                group.addTask { await Self.talk(session, index: index, messages: messages, rate: rate) }
            }
            for await (times, succeeded) in group {
                roundTrips += times
                if !succeeded { failures += 1 }
            }
        }
        if failures > 0 { printError("keygate bench: \(failures) client(s) failed during the chat phase") }
        return (roundTrips, failures, .now - started)
    }

    /// One client's chat phase: says each message after the previous one came back.
    private static func talk(_ session: GateSession, index: Int, messages: Int, rate: Double) async -> ([Duration], Bool) {
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
                    if case let .message(_, text, _)? = try? ChatEvent(parsing: message) { receipts.arrived(text) }
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
                        try await session.channel.send(ChatRequest.say(text).json.bytes)
                    } catch {
                        return (times, false)
                    }
                    guard await receipts.wait(for: text) else { return (times, false) }
                    times.append(.now - sent)
                }
                try? await session.channel.send(ChatRequest.bye.json.bytes)
                return (times, true)
            }
            let outcome = await group.next()!!
            group.cancelAll()
            await session.channel.close()
            return outcome
        }
    }

    /// Whether `needle` occurs in `haystack`.
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

    struct Report {
        let clients: Int, messages: Int, failed: Int
        let setupsPerSecond: Double
        let setupMilliseconds: [Double], roundTripMilliseconds: [Double]
        let messagesPerSecond: Double

        func percentile(_ values: [Double], _ fraction: Double) -> Double {
            guard !values.isEmpty else { return 0 }
            let sorted = values.sorted()
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
        }

        static func format(_ value: Double) -> String {
            let rounded = (value * 100).rounded() / 100
            return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
        }

        var fields: [(String, String)] {
            [("clients", "\(clients)"), ("messages", "\(messages)"), ("failed", "\(failed)"),
             ("setups_per_s", Self.format(setupsPerSecond)),
             ("setup_p50_ms", Self.format(percentile(setupMilliseconds, 0.5))),
             ("setup_p99_ms", Self.format(percentile(setupMilliseconds, 0.99))),
             ("rtt_p50_ms", Self.format(percentile(roundTripMilliseconds, 0.5))),
             ("rtt_p99_ms", Self.format(percentile(roundTripMilliseconds, 0.99))),
             ("messages_per_s", Self.format(messagesPerSecond))]
        }

        var json: String {
            "{" + fields.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
        }

        var table: String {
            fields.map { $0.0.padding(to: 16) + $0.1 }.joined(separator: "\n")
        }
    }
}

/// Lets a sender wait until its message text comes back from the room.
final class ReceiptWaiter: Sendable {
    private struct State {
        var arrived: Set<String> = []
        var failed = false
    }

    private let state = Mutex(State())
    private let changes = EventCount()

    func arrived(_ text: String) {
        guard text.hasPrefix("bench ") else { return }
        state.withLock { _ = $0.arrived.insert(text) }
        changes.notifyAll()
    }

    /// Marks the session as ended: waiters give up.
    func fail() {
        state.withLock { $0.failed = true }
        changes.notifyAll()
    }

    /// Whether `text` came back: false when the session ended first or the
    /// waiting task was cancelled (before or while it waits).
    func wait(for text: String) async -> Bool {
        while true {
            let ticket = changes.ticket()
            let outcome: Bool? = state.withLock { state in
                if state.arrived.remove(text) != nil { return true }
                if state.failed { return false }
                return nil
            }
            if let outcome { return outcome }
            guard await changes.wait(since: ticket) else { return false }
        }
    }
}
