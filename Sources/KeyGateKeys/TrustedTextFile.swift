/// A text file whose contents decide what a server trusts, such as its
/// configuration file: read only if it is trusted as the allow-list is
/// (no symbolic link, owned by the running user or root, writable by
/// nobody else, in a folder nobody else can write to).
public enum TrustedTextFile {
    /// The file's text, or nil if it does not exist. Blocking: call it
    /// through `KeyFileIO`.
    /// - Throws: `KeyFileError.symbolicLink`, `.untrustedOwner`,
    ///   `.writableByOthers`, `.folderWritableByOthers` with the chmod or
    ///   chown that fixes it; `.notARegularFile`, `.fileTooLarge`,
    ///   `.systemCallFailed`; `.invalidKeyFile` is never thrown, and text
    ///   that is not UTF-8 is decoded with replacement characters.
    public static func read(path: String) throws(KeyFileError) -> String? {
        guard let contents = try FileSystem.read(path, protection: .trusted) else { return nil }
        return String(decoding: contents.bytes, as: UTF8.self)
    }

    /// Whether something exists at `path` (a file, a link, anything).
    public static func exists(path: String) -> Bool {
        FileSystem.exists(path)
    }
}
