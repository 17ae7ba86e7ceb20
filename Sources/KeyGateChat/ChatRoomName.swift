/// The rules for room names: 1 to 32 characters from `a-z`, `0-9`, `-`,
/// `_` and `.`, compared without case (`Lobby` is `lobby`); a leading `#`,
/// as IRC users type it, is dropped.
public enum ChatRoomName {
    public static let maximumLength = 32

    /// The room's canonical name, or why `name` cannot be one.
    public static func validated(_ name: String) -> Result<String, RoomNameProblem> {
        var name = Substring(name)
        if name.first == "#" { name = name.dropFirst() }
        let lowered = name.lowercased()
        guard !lowered.isEmpty, lowered.utf8.count <= maximumLength else { return .failure(RoomNameProblem(name: String(name))) }
        let allowed = lowered.utf8.allSatisfy { byte in
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2d || byte == 0x5f || byte == 0x2e
        }
        return allowed ? .success(lowered) : .failure(RoomNameProblem(name: String(name)))
    }
}

/// A room name that breaks the rules of `ChatRoomName`.
public struct RoomNameProblem: Error, CustomStringConvertible {
    public let name: String

    public var description: String {
        "invalid room name '\(name.prefix(40))': use 1 to \(ChatRoomName.maximumLength) characters from a-z, 0-9, '-', '_', '.'"
    }
}
