import KeyGateSystem
import KeyGateChannel

/// The one chat room: its members in join order and the server-wide
/// sequence of messages (PROTOCOL.md section 5).
///
/// Every event is encoded once and queued to each member's outbox in the
/// same order, so all members see one order; the room never waits on a
/// member.
actor ChatRoom {
    struct Member {
        let name: String
        let outbox: ChatOutbox
    }

    private var members: [Int: Member] = [:]
    /// Member ids in join order.
    private var order: [Int] = []
    private var nextMemberID = 1
    private var lastSeq = 0
    /// Set by `closeAll`: newcomers are told at once and not kept.
    private var closingNotice: [UInt8]?
    private let log: Log

    init(log: Log) {
        self.log = log
    }

    /// Adds a member; every member, the newcomer included, is told.
    func join(name: String, outbox: ChatOutbox) -> Int {
        let id = nextMemberID
        nextMemberID += 1
        if let closingNotice {
            // Even now the joiner's own `joined` comes first (PROTOCOL.md
            // section 9): it acknowledges the session.
            _ = outbox.enqueue(ChatEvent.joined(name).json.bytes)
            outbox.finish(with: closingNotice)
            return id
        }
        members[id] = Member(name: name, outbox: outbox)
        order.append(id)
        broadcast(.joined(name))
        return id
    }

    /// Removes a member; the remaining members are told.
    func leave(_ id: Int) {
        guard let member = members.removeValue(forKey: id) else { return }
        order.removeAll { $0 == id }
        member.outbox.finish(with: nil)
        broadcast(.left(member.name))
    }

    /// Delivers `text` from member `id` to everyone, sender included, with
    /// the next sequence number; a message that would not fit in one
    /// transport message gets an error instead and takes no number.
    func say(_ text: String, from id: Int) {
        guard let sender = members[id] else { return }
        let encoded = ChatEvent.message(from: sender.name, text: text, seq: lastSeq + 1).json.bytes
        guard encoded.count <= KeyGateWire.maximumPlaintextByteCount else {
            send(.error("message too long"), to: id)
            return
        }
        lastSeq += 1
        broadcast(encoded: encoded)
    }

    /// Sends member `id` the distinct names in join order.
    func who(for id: Int) {
        var seen = Set<String>()
        let names = order.compactMap { members[$0]?.name }.filter { seen.insert($0).inserted }
        send(.who(names), to: id)
    }

    /// Sends one member an event.
    func send(_ event: ChatEvent, to id: Int) {
        guard let member = members[id] else { return }
        deliver(event.json.bytes, to: id, member)
    }

    /// Ends every member's outbox with `notice` and returns the outboxes, so
    /// the caller can wait for them to drain.
    func closeAll(notice: ChatEvent) -> [ChatOutbox] {
        let bytes = notice.json.bytes
        closingNotice = bytes
        let outboxes = order.compactMap { members[$0]?.outbox }
        for outbox in outboxes { outbox.finish(with: bytes) }
        return outboxes
    }

    private func broadcast(_ event: ChatEvent) {
        broadcast(encoded: event.json.bytes)
    }

    private func broadcast(encoded: [UInt8]) {
        for id in order {
            if let member = members[id] { deliver(encoded, to: id, member) }
        }
    }

    private func deliver(_ bytes: [UInt8], to id: Int, _ member: Member) {
        if !member.outbox.enqueue(bytes) {
            if members[id] != nil {
                log.warning("member too far behind, disconnecting", ["name": member.name, "member": "\(id)"])
            }
        }
    }
}
