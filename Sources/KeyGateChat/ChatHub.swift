import KeyGateChannel
import KeyGateSystem

/// Every room, every member and every private message of the chat service:
/// one actor, so that each room has one order, a private message reaches
/// every session of its recipient, and the history a newcomer gets fits
/// exactly between its own `joined` and the first live message.
///
/// Every event is encoded once and queued to each recipient's outbox in
/// the actor's order; the hub never waits on a member. With a chat log,
/// deliveries go through the log's lane instead, in the same order, each
/// room message written to the file before any member can see it.
actor ChatHub {
    struct Member {
        let name: String
        let fingerprint: String
        let outbox: ChatOutbox
        /// When this session joined, RFC 3339.
        let since: String
        /// The rooms it is in, in the order joined.
        var rooms: [String] = []
        var away: String?
        var bucket: TokenBucket
        /// Messages refused for flooding since the last one delivered.
        var refusedInRow = 0
    }

    /// What the session should do after a request.
    enum Outcome: Equatable {
        case proceed
        /// The member said bye.
        case leave
        /// The member is disconnected; its outbox already ends with why.
        case disconnect(reason: String)
    }

    private let configuration: ChatConfiguration
    private let log: Log
    private let chatLog: ChatLog?
    private var members: [Int: Member] = [:]
    /// The members connected now.
    var memberCount: Int { members.count }
    private var rooms: [String: ChatRoom] = [:]
    private var nextMemberID = 1
    /// Set by `closeAll`: newcomers are told at once and not kept.
    private var closingNotice: [UInt8]?

    init(configuration: ChatConfiguration, log: Log, chatLog: ChatLog? = nil, restored: ChatLog.Contents = .init()) {
        self.configuration = configuration
        self.log = log
        self.chatLog = chatLog
        for (name, room) in restored.rooms {
            rooms[name] = ChatRoom(
                name: name, historyCapacity: configuration.historyCount,
                lastSeq: room.lastSeq, head: room.head, history: room.history)
        }
    }

    // MARK: - Sessions

    /// Adds a session and puts it in the default room: its own `joined`
    /// first (protocol v2 section 9), then the room's history.
    func join(_ peer: PeerIdentity, outbox: ChatOutbox) -> Int {
        let id = nextMemberID
        nextMemberID += 1
        if let closingNotice {
            emit(ChatEvent.joined(peer.name).json.bytes, to: [outbox])
            finish(outbox, with: closingNotice)
            return id
        }
        members[id] = Member(
            name: peer.name, fingerprint: peer.fingerprint, outbox: outbox, since: Log.timestamp(),
            bucket: TokenBucket(ratePerSecond: configuration.ratePerSecond, burst: configuration.burst))
        _ = enter(ChatConfiguration.defaultRoom, id)
        return id
    }

    /// Removes a session from every room it is in; each room is told.
    func leave(_ id: Int) {
        guard let member = members[id] else { return }
        for room in member.rooms { exit(room, id, tellingLeaver: false) }
        members[id] = nil
        finish(member.outbox, with: nil)
    }

    /// Ends every member's outbox with `notice` and returns the outboxes, so
    /// the caller can wait for them to drain.
    func closeAll(notice: ChatEvent) -> [ChatOutbox] {
        let bytes = notice.json.bytes
        closingNotice = bytes
        let outboxes = members.keys.sorted().compactMap { members[$0]?.outbox }
        for outbox in outboxes { finish(outbox, with: bytes) }
        return outboxes
    }

    // MARK: - Requests

    /// Carries out one request of member `id`.
    func handle(_ request: ChatRequest, from id: Int) -> Outcome {
        guard members[id] != nil else { return .leave }
        switch request {
        case let .say(text, room): return say(text, action: false, in: room, from: id)
        case let .me(text, room): return say(text, action: true, in: room, from: id)
        case let .who(room): who(in: room, for: id)
        case let .join(room): join(room, id)
        case let .part(room): part(room, id)
        case .rooms: listRooms(for: id)
        case let .privateMessage(to, text): return sendPrivate(text, to: to, from: id)
        case let .away(reason):
            members[id]?.away = reason ?? "away"
            send(.notice("you are marked as away: \(reason ?? "away")"), to: id)
        case .back:
            members[id]?.away = nil
            send(.notice("you are back"), to: id)
        case let .whois(name): whois(name, for: id)
        case let .verify(room): verify(room, for: id)
        case .bye: return .leave
        }
        return .proceed
    }

    /// Sends member `id` an event, such as an error about its request.
    func send(_ event: ChatEvent, to id: Int) {
        guard let member = members[id] else { return }
        emit(event.json.bytes, to: [member.outbox])
    }

    // MARK: - Rooms

    private func join(_ requested: String, _ id: Int) {
        switch ChatRoomName.validated(requested) {
        case let .failure(problem):
            send(.error(problem.description, refused: "join"), to: id)
        case let .success(name):
            if let error = enter(name, id) { send(.error(error, refused: "join"), to: id) }
        }
    }

    /// Puts member `id` in room `name` (creating it), tells the room, and
    /// gives the member the history; a member already there is only
    /// reminded. Returns why not, if it cannot.
    private func enter(_ name: String, _ id: Int) -> String? {
        guard var member = members[id] else { return nil }
        if member.rooms.contains(name) {
            member.rooms.removeAll { $0 == name }
            member.rooms.append(name)
            members[id] = member
            send(.notice("you are in \(name)"), to: id)
            return nil
        }
        guard member.rooms.count < configuration.maximumRoomsPerMember else {
            return "you are in \(configuration.maximumRoomsPerMember) rooms already; /part one first"
        }
        if rooms[name] == nil {
            guard makeRoomFor(name) else { return "the server has \(configuration.maximumRoomCount) rooms; join an existing one (/rooms)" }
            rooms[name] = ChatRoom(name: name, historyCapacity: configuration.historyCount)
        }
        rooms[name]!.add(id)
        member.rooms.append(name)
        members[id] = member
        broadcast(ChatEvent.joined(member.name, room: name).json.bytes, in: name)
        let history = rooms[name]!.history.map { message -> [UInt8] in
            var replayed = message
            replayed.history = true
            return ChatEvent.message(replayed).json.bytes
        }
        if !history.isEmpty { emit(history, to: member.outbox) }
        return nil
    }

    /// Whether there is room for one more room, forgetting the empty room
    /// idle longest if the server is full.
    private func makeRoomFor(_ name: String) -> Bool {
        guard rooms.count >= configuration.maximumRoomCount else { return true }
        let idle = rooms.values.filter { $0.isEmpty && $0.name != ChatConfiguration.defaultRoom }
        guard let oldest = idle.min(by: { $0.lastActivity < $1.lastActivity }) else { return false }
        rooms[oldest.name] = nil
        log.info("forgot an empty chat room to make space", ["room": oldest.name, "new": name])
        return true
    }

    private func part(_ requested: String, _ id: Int) {
        guard case let .success(name) = ChatRoomName.validated(requested),
              members[id]?.rooms.contains(name) == true else {
            send(.error("you are not in \(requested.prefix(40))"), to: id)
            return
        }
        exit(name, id, tellingLeaver: true)
    }

    /// Takes member `id` out of room `name`; the room is told (and the
    /// member, if it asked to leave). An empty room without history is
    /// forgotten.
    private func exit(_ name: String, _ id: Int, tellingLeaver: Bool) {
        guard let member = members[id], rooms[name] != nil else { return }
        let event = ChatEvent.left(member.name, room: name).json.bytes
        if tellingLeaver { emit(event, to: [member.outbox]) }
        rooms[name]!.remove(id)
        members[id]!.rooms.removeAll { $0 == name }
        broadcast(event, in: name)
        if rooms[name]!.isEmpty && rooms[name]!.lastSeq == 0 && name != ChatConfiguration.defaultRoom {
            rooms[name] = nil
        }
    }

    private func listRooms(for id: Int) {
        var summaries = rooms.values.filter { !$0.isEmpty || $0.name == ChatConfiguration.defaultRoom }
            .map { ChatEvent.RoomSummary(name: $0.name, members: Set($0.memberIDs.compactMap { members[$0]?.name }).count) }
        summaries.sort { $0.name < $1.name }
        send(.rooms(summaries), to: id)
    }

    private func who(in requested: String?, for id: Int) {
        guard let name = roomName(requested, for: id) else { return }
        var seen = Set<String>()
        var away: [String: String] = [:]
        var names: [String] = []
        for memberID in rooms[name]?.memberIDs ?? [] {
            guard let member = members[memberID] else { continue }
            if seen.insert(member.name).inserted { names.append(member.name) }
            if let reason = member.away { away[member.name] = reason }
        }
        send(.who(names, room: name, away: away), to: id)
    }

    private func verify(_ requested: String?, for id: Int) {
        guard let name = roomName(requested, for: id) else { return }
        let room = rooms[name]
        send(.head(room: name, hash: Hex.encode(room?.head ?? ChatMessage.emptyHead), count: room?.lastSeq ?? 0), to: id)
    }

    /// The canonical name of `requested` (the default room if nil), or nil
    /// after telling the member why it is not a room name.
    private func roomName(_ requested: String?, for id: Int) -> String? {
        switch ChatRoomName.validated(requested ?? ChatConfiguration.defaultRoom) {
        case let .success(name): return name
        case let .failure(problem):
            send(.error(problem.description), to: id)
            return nil
        }
    }

    // MARK: - Messages

    /// Delivers a message of member `id` to its room, sender included,
    /// with the room's next seq and transcript hash.
    private func say(_ text: String, action: Bool, in requested: String?, from id: Int) -> Outcome {
        let refusal = action ? "me" : "say"
        guard let name = roomName(requested, for: id) else { return .proceed }
        guard let member = members[id], member.rooms.contains(name) else {
            send(.error("you are not in \(name); /join \(name) first", refused: refusal), to: id)
            return .proceed
        }
        if let outcome = admitMessage(from: id, refusal: refusal) { return outcome }
        var message = ChatMessage(room: name, seq: rooms[name]!.lastSeq + 1, from: member.name, text: text, action: action, time: Log.timestamp())
        // Measured with the longest hash, before it takes a number.
        message.hash = String(repeating: "0", count: 64)
        guard ChatEvent.message(message).json.bytes.count <= KeyGateWire.maximumPlaintextByteCount else {
            send(.error("message too long", refused: refusal), to: id)
            return .proceed
        }
        message = rooms[name]!.record(message)
        let encoded = ChatEvent.message(message).json.bytes
        let recipients = rooms[name]!.memberIDs.compactMap { members[$0]?.outbox }
        deliver { [chatLog] in
            chatLog?.appendNow(encoded)
            Self.enqueue(encoded, to: recipients)
        }
        return .proceed
    }

    /// A private message: to every session of `name`, and to the sender's
    /// sessions as the receipt. No transcript entry, no chat log line.
    private func sendPrivate(_ text: String, to name: String, from id: Int) -> Outcome {
        guard let sender = members[id] else { return .leave }
        let recipients = members.values.filter { $0.name == name }
        guard !recipients.isEmpty else {
            send(.error("\(name.prefix(40)) is not connected", refused: "private"), to: id)
            return .proceed
        }
        if let outcome = admitMessage(from: id, refusal: "private") { return outcome }
        let encoded = ChatEvent.privateMessage(from: sender.name, to: name, text: text, time: Log.timestamp()).json.bytes
        guard encoded.count <= KeyGateWire.maximumPlaintextByteCount else {
            send(.error("message too long", refused: "private"), to: id)
            return .proceed
        }
        let ownSessions = members.values.filter { $0.name == sender.name && $0.name != name }
        emit(encoded, to: (recipients + ownSessions).map(\.outbox))
        return .proceed
    }

    private func whois(_ name: String, for id: Int) {
        let sessions = members.values.filter { $0.name == name }
        guard let first = sessions.min(by: { $0.since < $1.since }) else {
            send(.error("\(name.prefix(40)) is not connected"), to: id)
            return
        }
        var rooms: [String] = []
        for room in sessions.flatMap(\.rooms) where !rooms.contains(room) { rooms.append(room) }
        send(.whois(.init(
            name: name, fingerprint: first.fingerprint, since: first.since,
            away: sessions.compactMap(\.away).first, rooms: rooms, sessions: sessions.count)), to: id)
    }

    /// Flood control: nil when member `id` may send a message now; else it
    /// has been told when it may, or, after too many refusals in a row,
    /// disconnected.
    private func admitMessage(from id: Int, refusal: String) -> Outcome? {
        guard var member = members[id] else { return .leave }
        defer { members[id] = member }
        guard let wait = member.bucket.take() else {
            member.refusedInRow = 0
            return nil
        }
        member.refusedInRow += 1
        if member.refusedInRow >= configuration.floodDisconnectThreshold {
            let reason = "disconnected for flooding: \(member.refusedInRow) messages over the limit of \(configuration.ratePerSecond) per second"
            log.warning("chat member flooding, disconnecting", ["name": member.name, "refused": "\(member.refusedInRow)"])
            finish(member.outbox, with: ChatEvent.error(reason).json.bytes)
            return .disconnect(reason: reason)
        }
        let seconds = Double(wait.components.attoseconds / 1_000_000_000_000_000) / 1000 + Double(wait.components.seconds)
        send(.error("slow down: at most \(configuration.ratePerSecond) messages per second (burst \(configuration.burst)); "
                    + "you may speak again in \(String(format1: seconds)) s", refused: refusal), to: id)
        return .proceed
    }

    // MARK: - Delivery

    private func broadcast(_ bytes: [UInt8], in room: String) {
        emit(bytes, to: (rooms[room]?.memberIDs ?? []).compactMap { members[$0]?.outbox })
    }

    /// Queues `bytes` to each outbox, in the hub's order.
    private func emit(_ bytes: [UInt8], to outboxes: [ChatOutbox]) {
        deliver { Self.enqueue(bytes, to: outboxes) }
    }

    /// Queues several messages to one outbox, in order.
    private func emit(_ messages: [[UInt8]], to outbox: ChatOutbox) {
        deliver { for bytes in messages { Self.enqueue(bytes, to: [outbox]) } }
    }

    private func finish(_ outbox: ChatOutbox, with bytes: [UInt8]?) {
        deliver { outbox.finish(with: bytes) }
    }

    /// Runs one delivery in the hub's order: at once without a chat log;
    /// with one, on its lane, behind the file writes of earlier messages,
    /// so nobody sees a message before it is in the file.
    private func deliver(_ work: @escaping @Sendable () -> Void) {
        if let chatLog { chatLog.lane.submit(work) } else { work() }
    }

    /// A full outbox ends itself with a farewell, and its session logs
    /// and disconnects (ChatService), so the result is not needed here.
    private static func enqueue(_ bytes: [UInt8], to outboxes: [ChatOutbox]) {
        for outbox in outboxes { outbox.enqueue(bytes) }
    }
}

extension String {
    /// `value` with one decimal: `0.4`.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded(.up))
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
