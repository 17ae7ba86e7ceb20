/// What a client may do in a file service, from its allow-list options
/// (`ftp="read-only"`, `ftp-root="..."`; PROTOCOL.md "Key options").
public struct FileAccess: Equatable, Sendable {
    /// No command that writes (store, append, delete, rename, make or
    /// remove a folder) is carried out.
    public var readOnly: Bool
    /// The folder, relative to the service's root and already checked to
    /// hold only plain names, that the client is confined to; nil for the
    /// default (the root, or the client's home).
    public var root: String?

    /// Everything allowed, in the default folder.
    public init(readOnly: Bool = false, root: String? = nil) {
        self.readOnly = readOnly
        self.root = root
    }
}
