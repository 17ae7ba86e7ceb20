import KeyGateSystem
import KeyGateChannel

/// The chat service (PROTOCOL.md section 5): one room, every `say`
/// delivered to every member in one server-wide order.
public final class ChatService: GateService {
    public let name = KeyGateWire.chatService
    private let room: ChatRoom
    private let outboxCapacity: Int
    private let maximumRequestByteCount: Int
    /// How long a member that fell too far behind gets to read the reason
    /// before its connection is closed anyway.
    static let farewellGrace: Duration = .seconds(2)

    /// - Parameters:
    ///   - outboxCapacity: messages that may wait for one member before it
    ///     is disconnected as too far behind.
    ///   - maximumRequestByteCount: larger requests get an error reply.
    public init(log: Log, outboxCapacity: Int = 4096, maximumRequestByteCount: Int = 16 * 1024) {
        room = ChatRoom(log: log)
        self.outboxCapacity = outboxCapacity
        self.maximumRequestByteCount = maximumRequestByteCount
    }

    public func serve(_ context: ServiceContext) async {
        let outbox = ChatOutbox(capacity: outboxCapacity)
        let member = await room.join(name: context.peer.name, outbox: outbox)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await Self.write(outbox, to: context.channel) }
            group.addTask { await self.read(context, member: member) }
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
        await room.leave(member)
    }

    public func prepareForShutdown() async {
        let outboxes = await room.closeAll(notice: .error("server is shutting down"))
        // Give the writers a moment to deliver the notice: shutdown must
        // finish within two seconds whatever the clients do.
        try? await withDeadline(.now + .milliseconds(500), while: "telling chat members about the shutdown") {
            for outbox in outboxes { await outbox.delivered.wait() }
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
            // other ready tasks run first (the room, the other writers, the
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

    /// Handles the member's requests until it leaves.
    private func read(_ context: ServiceContext, member: Int) async {
        while true {
            let request: [UInt8]
            do {
                guard let received = try await context.channel.receive() else { return }
                request = received
            } catch {
                if !(error is CancellationError) {
                    context.log.info("chat session ended", ["reason": "\(error)"])
                }
                return
            }
            guard request.count <= maximumRequestByteCount else {
                await room.send(.error("message too long"), to: member)
                continue
            }
            do {
                switch try ChatRequest(parsing: request) {
                case let .say(text): await room.say(text, from: member)
                case .who: await room.who(for: member)
                case .bye: return
                }
            } catch {
                await room.send(.error(error.description), to: member)
            }
        }
    }
}
