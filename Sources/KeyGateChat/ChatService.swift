import KeyGateSystem
import KeyGateChannel

/// The chat service: protocol v2 section 5 and KeyGate's extensions
/// (PROTOCOL.md, "Chat extensions"): rooms, private messages, history,
/// flood control and a transcript hash chain per room.
public final class ChatService: GateService {
    public let name = KeyGateWire.chatService
    public let configuration: ChatConfiguration
    private let hub: ChatHub
    private let chatLog: ChatLog?
    /// Syncs the chat log every second; ended at shutdown.
    private let syncTask: Task<Void, Never>?
    /// How long a member that is disconnected (too far behind, flooding)
    /// gets to read the reason before its connection is closed anyway.
    static let farewellGrace: Duration = .seconds(2)

    /// A chat whose history lives in memory only (`configuration.logPath`
    /// is ignored: use `start` for a chat log).
    public convenience init(configuration: ChatConfiguration = ChatConfiguration(), log: Log) {
        self.init(configuration: configuration, log: log, chatLog: nil, restored: .init())
    }

    /// A chat with the given limits and no chat log.
    /// - Parameters:
    ///   - outboxCapacity: messages that may wait for one member before it
    ///     is disconnected as too far behind.
    ///   - maximumRequestByteCount: larger requests get an error reply.
    public convenience init(log: Log, outboxCapacity: Int, maximumRequestByteCount: Int = 16 * 1024) {
        var configuration = ChatConfiguration()
        configuration.outboxCapacity = outboxCapacity
        configuration.maximumRequestByteCount = maximumRequestByteCount
        self.init(configuration: configuration, log: log)
    }

    private init(configuration: ChatConfiguration, log: Log, chatLog: ChatLog?, restored: ChatLog.Contents) {
        self.configuration = configuration
        self.chatLog = chatLog
        hub = ChatHub(configuration: configuration, log: log, chatLog: chatLog, restored: restored)
        syncTask = chatLog.map { chatLog in Task { await chatLog.syncEverySecond() } }
    }

    /// The chat service, with its history reloaded from
    /// `configuration.logPath` when set.
    /// - Throws: when the chat log cannot be read or opened for appending.
    public static func start(configuration: ChatConfiguration, log: Log) async throws -> ChatService {
        guard let path = configuration.logPath else { return ChatService(configuration: configuration, log: log) }
        let (chatLog, contents) = try await ChatLog.open(path: path, historyCount: configuration.historyCount, log: log)
        let messages = contents.rooms.values.reduce(0) { $0 + $1.history.count }
        log.info("chat log loaded", [
            "path": path, "rooms": "\(contents.rooms.count)", "history": "\(messages)",
            "skipped_lines": "\(contents.skippedLines)", "broken_links": "\(contents.brokenLinks)",
        ])
        if contents.skippedLines > 0 {
            log.warning("chat log had lines that are not messages (a torn last line after a crash?); skipped", [
                "path": path, "lines": "\(contents.skippedLines)",
            ])
        }
        return ChatService(configuration: configuration, log: log, chatLog: chatLog, restored: contents)
    }

    public func serve(_ context: ServiceContext) async {
        let outbox = ChatOutbox(capacity: configuration.outboxCapacity)
        let member = await hub.join(context.peer, outbox: outbox)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.write(outbox, to: context.channel) }
            group.addTask {
                if await self.read(context, member: member) {
                    // Disconnected with a reason: let it reach the client.
                    try? await withDeadline(.now + Self.farewellGrace, while: "sending the reason for a disconnect") {
                        await outbox.delivered.wait()
                    }
                }
            }
            group.addTask {
                await outbox.waitForOverflow()
                guard !Task.isCancelled else { return }
                context.log.warning("too far behind, disconnecting", ["backlog": "\(outbox.capacity)"])
                try? await Task.sleep(for: Self.farewellGrace)
            }
            // Whichever ends first (the client left, or it fell too far
            // behind, or the server shuts down) ends the session.
            await group.next()
            group.cancelAll()
        }
        await hub.leave(member)
    }

    /// The members connected now, in all rooms (the server's metrics).
    public var memberCount: Int {
        get async { await hub.memberCount }
    }

    public func prepareForShutdown() async {
        let outboxes = await hub.closeAll(notice: .error("server is shutting down"))
        // Give the writers a moment to deliver the notice: shutdown must
        // finish within two seconds whatever the clients do.
        try? await withDeadline(.now + .milliseconds(500), while: "telling chat members about the shutdown") {
            for outbox in outboxes { await outbox.delivered.wait() }
        }
        if let syncTask {
            syncTask.cancel()
            await syncTask.value
        }
    }

    /// Messages sent in one write when a member has a backlog.
    static let writeBatch = 64

    /// Sends the member's queued messages until the outbox ends; a backlog
    /// goes out in batches, one write each.
    private static func write(_ outbox: ChatOutbox, to channel: SecureChannel) async {
        defer { outbox.delivered.open() }
        while true {
            // A broadcast wakes every member's writer at once; letting the
            // other ready tasks run first (the hub, the other writers, the
            // handshakes) lets this outbox fill, so a busy room costs one
            // write per batch rather than one per message. When nothing
            // else is ready this returns at once.
            await Task.yield()
            guard let batch = await outbox.next(maximumCount: writeBatch) else { return }
            do {
                try await channel.send(contentsOf: batch)
            } catch {
                return
            }
        }
    }

    /// Handles the member's requests until it leaves. Returns true when
    /// the hub disconnected it with a reason still to be delivered.
    private func read(_ context: ServiceContext, member: Int) async -> Bool {
        while true {
            let request: [UInt8]
            do {
                guard let received = try await context.channel.receive() else { return false }
                request = received
            } catch {
                if !(error is CancellationError) {
                    context.log.info("chat session ended", ["reason": "\(error)"])
                }
                return false
            }
            guard request.count <= configuration.maximumRequestByteCount else {
                await hub.send(.error("message too long", refused: "say"), to: member)
                continue
            }
            let parsed: ChatRequest
            do {
                parsed = try ChatRequest(parsing: request)
            } catch {
                await hub.send(.error(error.description), to: member)
                continue
            }
            switch await hub.handle(parsed, from: member) {
            case .proceed: continue
            case .leave: return false
            case let .disconnect(reason):
                context.log.warning("chat member disconnected", ["reason": reason])
                return true
            }
        }
    }
}
