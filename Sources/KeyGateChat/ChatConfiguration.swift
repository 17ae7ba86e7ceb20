/// The chat service's settings, each with its one default: `keygate serve`
/// takes its flags' defaults and help text from here.
public struct ChatConfiguration: Sendable {
    /// The room every member starts in, and where a `say` without a `room`
    /// goes (a client that knows only protocol v2 chats there).
    public static let defaultRoom = "lobby"

    /// Messages of a room replayed to a member who joins it (0: none).
    public var historyCount = 50
    /// Where every room message is appended as one JSON line, and from
    /// which the history is reloaded at start; nil keeps history in memory.
    public var logPath: String?
    /// Messages per second one member may send (0: no limit).
    public var ratePerSecond = 5
    /// Messages one member may send at once before the rate applies.
    public var burst = 20
    /// Messages refused in a row for flooding after which the member is
    /// disconnected.
    public var floodDisconnectThreshold = 40
    /// Messages that may wait for one member before it is disconnected as
    /// too far behind.
    public var outboxCapacity = 4096
    /// Larger requests get an error reply.
    public var maximumRequestByteCount = 16 * 1024
    /// Rooms the server keeps at once; joining a new one beyond this fails.
    public var maximumRoomCount = 1000
    /// Rooms one member may be in at once.
    public var maximumRoomsPerMember = 32

    public init() {}
}
