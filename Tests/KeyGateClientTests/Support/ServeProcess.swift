import KeyGateSystem
import Foundation
import Glibc
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateTestSupport
import Synchronization
import Testing

/// A `keygate serve` process of the real binary in a temporary folder,
/// with its log lines collected as they come.
final class ServeProcess: Sendable {
    let directory: TemporaryDirectory
    /// The key folder (mode 0700), where `keygate.conf` is looked for.
    let keys: String
    let process: Process
    let port: UInt16
    private let collected: CollectedLines
    private let reader: Task<Void, Never>

    /// Starts the server on `keys` with `config` as its keygate.conf;
    /// returns once it listens.
    static func start(
        config: String, arguments: [String] = [], environment: [String: String] = [:],
        prepare: (String) async throws -> Void = { _ in }
    ) async throws -> ServeProcess {
        let directory = TemporaryDirectory()
        let keys = directory.appending("keys")
        #expect(mkdir(keys, 0o700) == 0)
        try writeConfig(config, in: keys)
        try await prepare(keys)
        let (process, stderr) = try KeygateBinary.start(["serve", "--keys", keys] + arguments, environment: environment)
        let collected = CollectedLines()
        let reader = Task.detached {
            _ = try? await onFileThread {
                var partial = ""
                while true {
                    let data = stderr.availableData
                    if data.isEmpty { break }
                    partial += String(decoding: data, as: UTF8.self)
                    var lines = partial.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                    partial = lines.removeLast()
                    collected.lines.withLock { $0 += lines }
                }
            }
        }
        let server = ServeProcess(directory: directory, keys: keys, process: process, collected: collected, reader: reader)
        let listening = await eventually { server.lines.contains { $0.contains(" listening control=") } }
        guard listening, let line = server.lines.first(where: { $0.contains(" listening control=") }),
              let match = line.firstMatch(of: /control=127\.0\.0\.1:(\d+)/), let port = UInt16(match.1)
        else {
            process.terminate()
            throw ServeProcessFailure(lines: server.lines)
        }
        return ServeProcess(directory: directory, keys: keys, process: process, collected: collected, reader: reader, port: port)
    }

    private init(
        directory: TemporaryDirectory, keys: String, process: Process, collected: CollectedLines, reader: Task<Void, Never>,
        port: UInt16 = 0
    ) {
        self.directory = directory
        self.keys = keys
        self.process = process
        self.collected = collected
        self.reader = reader
        self.port = port
    }

    struct ServeProcessFailure: Error, CustomStringConvertible {
        let lines: [String]
        var description: String { "keygate serve did not start:\n" + lines.joined(separator: "\n") }
    }

    /// Writes `text` as the key folder's keygate.conf (mode 0600).
    static func writeConfig(_ text: String, in keys: String) throws {
        let path = keys + "/keygate.conf"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(chmod(path, 0o600) == 0)
    }

    /// The log lines written so far.
    var lines: [String] { collected.lines.withLock { $0 } }

    /// The lines read from the server's standard error.
    final class CollectedLines: Sendable {
        let lines = Mutex<[String]>([])
    }

    /// Waits until a line holding `text` was written after the first
    /// `after` lines; returns it.
    func line(containing text: String, after: Int = 0) async -> String? {
        _ = await eventually { self.lines.dropFirst(after).contains { $0.contains(text) } }
        return lines.dropFirst(after).first { $0.contains(text) }
    }

    /// Sends `signal` to the server.
    func send(_ signal: Int32) {
        #expect(kill(process.processIdentifier, signal) == 0)
    }

    /// A client `name` with its own key folder, allowed on this server.
    func client(_ name: String, allow: Bool = true) async throws -> GateClientOptions {
        let store = KeyStore(directory: directory.appending("client-\(name)"))
        let list = AuthorizedKeys(path: KeyStore(directory: keys).authorizedKeysPath)
        try await onFileThread {
            let (identity, _) = try store.loadOrCreateIdentity(name: name, algorithm: .x25519)
            if allow { _ = try list.add(identity.publicKey, name: name) }
        }
        return GateClientOptions(
            host: "127.0.0.1", port: port, keys: store, identityName: name, algorithm: .x25519, pinnedServerKey: nil,
            service: "chat", timeout: .seconds(20), log: Log(level: .error, destination: .memory))
    }

    /// Stops the server with SIGTERM; returns its exit status.
    func stop() async -> Int32 {
        process.terminate()
        await KeygateBinary.waitForExit(process)
        await reader.value
        return process.terminationStatus
    }

    func remove() {
        if process.isRunning { process.terminate() }
        directory.remove()
    }
}

extension GateSession {
    /// The chat events received until one satisfies `predicate` (or the
    /// session ends).
    func chatEvents(until predicate: (ChatEvent) -> Bool) async throws -> [ChatEvent] {
        var events: [ChatEvent] = []
        while let message = try await channel.receive(deadline: .now + .seconds(20)) {
            guard let event = try ChatEvent(parsing: message) else { continue }
            events.append(event)
            if predicate(event) { return events }
        }
        return events
    }

    /// Says `text` in the chat and waits until it comes back.
    func sayAndHear(_ text: String) async throws -> Bool {
        try await channel.send(ChatRequest.say(text).json.bytes)
        let events = try await chatEvents { event in
            if case let .message(message) = event { return message.text == text }
            return false
        }
        guard case let .message(message)? = events.last else { return false }
        return message.text == text
    }
}
