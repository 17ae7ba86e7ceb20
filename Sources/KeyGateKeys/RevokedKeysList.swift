/// The parsed contents of `revoked_keys` (see `AuthorizedKeys`): the keys
/// denied even while the allow-list still lists them. Lines have the
/// allow-list's format; options and names are kept for `keygate keys` but
/// change nothing.
struct RevokedKeysList: KeyListContents {
    /// The revoked keys and the line that revokes each.
    private(set) var lines: [PublicKey: Int] = [:]
    /// The revoked entries in file order.
    private(set) var entries: [AuthorizedKeys.Entry] = []
    private(set) var warnings: [KeyFileError] = []
    /// Set when the file exists but could not be read: every key is then
    /// denied (fail closed, like sshd's RevokedKeys).
    private(set) var failure: KeyFileError?

    init() {}

    init(failure: KeyFileError) {
        self.failure = failure
        warnings = [failure]
    }

    init(parsing bytes: [UInt8], path: String) {
        for line in AllowListLine.parse(bytes, path: path, warnings: &warnings) {
            guard case let .entry(entry) = line else {
                // A revocation whose options are bad still revokes its key.
                if case let .failedClosed(key, number, _) = line, lines[key] == nil { lines[key] = number }
                continue
            }
            if lines[entry.key] == nil {
                lines[entry.key] = entry.line
                entries.append(entry)
            }
        }
    }
}
