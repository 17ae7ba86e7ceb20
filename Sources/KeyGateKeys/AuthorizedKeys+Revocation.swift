extension AuthorizedKeys {
    /// Which keys `revoke` takes away.
    public enum Selector: Equatable, Sendable {
        /// Every allowed key with this name (one per algorithm).
        case name(String)
        /// The key with this fingerprint (`SHA256:...`).
        case fingerprint(String)
        /// This key, listed or not.
        case key(PublicKey)
    }

    /// The comment a new revocation list starts with.
    public static let revokedHeader = """
        # KeyGate revocation list: keys denied even while authorized_keys lists them.
        # Same format as authorized_keys. Add with: keygate revoke NAME|FINGERPRINT|PUBFILE
        # If this file exists but cannot be read, every client is denied.

        """

    /// Revokes the keys `selector` names: removes their lines from the
    /// allow-list and appends them to `revoked_keys` (created if missing),
    /// each file rewritten atomically, the revocation first, so a crash in
    /// between leaves the key revoked. A key already revoked is not added
    /// twice.
    /// - Returns: the revoked entries (for `.key` of an unlisted key, one
    ///   named by its fingerprint); empty when nothing matched.
    /// - Throws: `KeyFileError.systemCallFailed` when a file cannot be
    ///   read or written.
    @discardableResult
    public func revoke(_ selector: Selector) throws(KeyFileError) -> [Entry] {
        try withFileLock { () throws(KeyFileError) -> [Entry] in
            let allowedBytes = try FileSystem.read(path, protection: .trusted)?.bytes ?? []
            var warnings: [KeyFileError] = []
            let lines = AllowListLine.parse(allowedBytes, path: path, warnings: &warnings)
            var matched: [Entry] = []
            var keys = Set<PublicKey>()
            for case let .entry(entry) in lines where Self.matches(selector, entry.key, entry.name) && !keys.contains(entry.key) {
                matched.append(entry)
                keys.insert(entry.key)
            }
            if case let .key(key) = selector, !keys.contains(key) {
                matched.append(Entry(key: key, name: key.fingerprint, line: 0))
                keys.insert(key)
            }
            guard !matched.isEmpty else { return [] }
            try appendRevocations(matched)
            var removedLines = Set<Int>()
            for line in lines {
                switch line {
                case let .entry(entry) where keys.contains(entry.key): removedLines.insert(entry.line)
                case let .failedClosed(key, number, _) where keys.contains(key): removedLines.insert(number)
                default: continue
                }
            }
            if !removedLines.isEmpty {
                try FileSystem.writeAtomically(
                    Self.bytes(allowedBytes, without: removedLines), to: path, mode: KeyStore.publicFileMode,
                    existing: .replaceKeepingPermissions)
            }
            return matched
        }
    }

    private static func matches(_ selector: Selector, _ key: PublicKey, _ name: String) -> Bool {
        switch selector {
        case let .name(wanted): return name == wanted
        case let .fingerprint(wanted): return key.fingerprint == wanted
        case let .key(wanted): return key == wanted
        }
    }

    private func appendRevocations(_ entries: [Entry]) throws(KeyFileError) {
        let existing = try FileSystem.read(revokedPath, protection: .trusted)?.bytes
        let present = RevokedKeysList(parsing: existing ?? [], path: revokedPath)
        var bytes = existing ?? Array(Self.revokedHeader.utf8)
        if let last = bytes.last, last != UInt8(ascii: "\n") { bytes.append(UInt8(ascii: "\n")) }
        var added = false
        for entry in entries where present.lines[entry.key] == nil {
            bytes += Array((Self.line(for: entry.key, name: entry.name, options: entry.options) + "\n").utf8)
            added = true
        }
        guard added else { return }
        if existing == nil {
            try FileSystem.makeDirectory(FileSystem.directoryName(of: revokedPath), mode: KeyStore.directoryMode)
        }
        try FileSystem.writeAtomically(bytes, to: revokedPath, mode: KeyStore.publicFileMode, existing: .replaceKeepingPermissions)
    }

    /// `bytes` without the lines numbered in `removed` (1-based).
    private static func bytes(_ bytes: [UInt8], without removed: Set<Int>) -> [UInt8] {
        var result: [UInt8] = []
        var number = 0
        for raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            guard !removed.contains(number) else { continue }
            result += raw
            result.append(UInt8(ascii: "\n"))
        }
        // split gives an empty piece after a final newline: drop the
        // newline added for it, keeping the file's own ending.
        if bytes.last == UInt8(ascii: "\n"), result.last == UInt8(ascii: "\n") { result.removeLast() }
        return result
    }
}
