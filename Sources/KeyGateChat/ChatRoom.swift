import KeyGateSystem
import KeyGateCrypto

/// One room's state: its members in join order, its transcript (sequence
/// number and head hash) and the last messages, replayed to newcomers.
/// Owned by the `ChatHub` actor.
struct ChatRoom: Sendable {
    let name: String
    /// Member ids in join order.
    private(set) var memberIDs: [Int] = []
    /// The seq of the last message: also the number of chain entries.
    private(set) var lastSeq = 0
    /// The transcript head: SHA-256 chain over every message so far.
    private(set) var head = ChatMessage.emptyHead
    /// The last `historyCapacity` messages, oldest first.
    private(set) var history: [ChatMessage] = []
    let historyCapacity: Int
    /// When something last happened here, to choose which empty room to
    /// forget first.
    private(set) var lastActivity = ContinuousClock.now

    init(name: String, historyCapacity: Int) {
        self.name = name
        self.historyCapacity = historyCapacity
    }

    /// A room as the chat log left it: its transcript continues.
    init(name: String, historyCapacity: Int, lastSeq: Int, head: [UInt8], history: [ChatMessage]) {
        self.init(name: name, historyCapacity: historyCapacity)
        self.lastSeq = lastSeq
        self.head = head
        self.history = Array(history.suffix(historyCapacity))
    }

    var isEmpty: Bool { memberIDs.isEmpty }
    func contains(_ id: Int) -> Bool { memberIDs.contains(id) }

    mutating func add(_ id: Int) {
        memberIDs.append(id)
        lastActivity = .now
    }

    mutating func remove(_ id: Int) {
        memberIDs.removeAll { $0 == id }
        lastActivity = .now
    }

    /// Gives `message` the next seq and the new head, and keeps it in the
    /// history.
    mutating func record(_ message: ChatMessage) -> ChatMessage {
        var message = message
        message.room = name
        message.seq = lastSeq + 1
        let newHead = message.chained(after: head)
        message.hash = Hex.encode(newHead)
        lastSeq = message.seq
        head = newHead
        if historyCapacity > 0 {
            history.append(message)
            if history.count > historyCapacity { history.removeFirst(history.count - historyCapacity) }
        }
        lastActivity = .now
        return message
    }
}
