import KeyGateSystem
import KeyGateChat

/// What the chat client remembers: the rooms it is in (the current one
/// last), the messages it said that have not come back yet, in order, who
/// last wrote to it privately, and the transcript heads it waits for.
actor ChatClientState {
    let myName: String
    private var pending: [String] = []
    private var pendingStart = 0
    /// Opened when the last pending message is confirmed, once someone waits.
    private var allConfirmed: Latch?
    private(set) var saidBye = false
    /// The rooms joined, in order; the last is where typed lines go.
    private(set) var rooms: [String] = []
    /// Where a `/join` switched to before the server confirmed it.
    private var requestedRoom: String?
    private(set) var lastPrivateSender: String?
    private var awaitedHeads: Set<String> = []
    private var headsArrived: Latch?

    /// The requests a receipt answers, as an error's `refused` names them.
    static let messageRequests: Set<String> = ["say", "me", "private"]

    init(myName: String) {
        self.myName = myName
    }

    /// The room typed lines go to: the one last joined, or asked for.
    var currentRoom: String? { requestedRoom ?? rooms.last }

    func expectReceipt(for text: String) {
        pending.append(text)
    }

    var missingReceipts: Int { pending.count - pendingStart }

    func markBye() {
        saidBye = true
    }

    /// Makes `room` the current room (a `/join`).
    func switchTo(_ room: String) {
        if rooms.contains(room) {
            rooms.removeAll { $0 == room }
            rooms.append(room)
        } else {
            requestedRoom = room
        }
    }

    /// Leaves `room` at once (a `/part`): lines typed next go to the
    /// previous room, even before the server's `left` arrives.
    func leave(_ room: String) {
        rooms.removeAll { $0 == room }
        if requestedRoom == room { requestedRoom = nil }
    }

    /// Whether `event` calls for the user: a private message to it, or its
    /// name in someone else's message.
    func calls(for event: ChatEvent) -> Bool {
        switch event {
        case let .privateMessage(from, _, _, _): return from != myName
        case let .message(message):
            return message.from != myName && !message.history && message.text.lowercased().contains(myName.lowercased())
        default: return false
        }
    }

    /// Follows the rooms, the receipts, the private senders and the heads.
    /// A message from us with the oldest pending text is its receipt; an
    /// error that refused a message (or "message too long", as a protocol
    /// v2 server says it) answers the oldest pending one.
    func observe(_ event: ChatEvent) {
        switch event {
        case let .joined(name, room) where name == myName:
            rooms.removeAll { $0 == room }
            rooms.append(room)
            if requestedRoom == room { requestedRoom = nil }
        case let .left(name, room) where name == myName:
            rooms.removeAll { $0 == room }
            if requestedRoom == room { requestedRoom = nil }
        case let .error(_, refused?) where refused == "join":
            requestedRoom = nil
        case let .privateMessage(from, _, _, _) where from != myName:
            lastPrivateSender = from
        case let .head(room, _, _):
            if awaitedHeads.remove(room) != nil, awaitedHeads.isEmpty { headsArrived?.open() }
        default:
            break
        }
        confirmReceipt(event)
    }

    private func confirmReceipt(_ event: ChatEvent) {
        guard pendingStart < pending.count else { return }
        switch event {
        case let .message(message) where message.from == myName && !message.history && message.text == pending[pendingStart]:
            pendingStart += 1
        case let .privateMessage(from, _, text, _) where from == myName && text == pending[pendingStart]:
            pendingStart += 1
        case let .error(_, refused?) where Self.messageRequests.contains(refused):
            pendingStart += 1
        case .error("message too long", refused: nil):
            pendingStart += 1
        default:
            return
        }
        if pendingStart == pending.count { allConfirmed?.open() }
    }

    /// Waits until every pending message is confirmed; false on timeout.
    func waitForReceipts(timeout: Duration) async -> Bool {
        if pendingStart == pending.count { return true }
        let latch = Latch()
        allConfirmed = latch
        try? await withDeadline(.now + timeout, while: "waiting for receipts") { await latch.wait() }
        return pendingStart == pending.count
    }

    func expectHeads(_ rooms: [String]) {
        awaitedHeads = Set(rooms)
    }

    /// Waits until a head has come for every room asked; false on timeout.
    func waitForHeads(timeout: Duration) async -> Bool {
        if awaitedHeads.isEmpty { return true }
        let latch = Latch()
        headsArrived = latch
        try? await withDeadline(.now + timeout, while: "waiting for transcript heads") { await latch.wait() }
        return awaitedHeads.isEmpty
    }
}
