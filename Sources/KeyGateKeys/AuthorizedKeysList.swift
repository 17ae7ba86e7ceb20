/// The parsed contents of an allow-list file (see `AuthorizedKeys`).
struct AuthorizedKeysList: KeyListContents {
    var entries: [AuthorizedKeys.Entry] = []
    var entriesByKey: [PublicKey: AuthorizedKeys.Entry] = [:]
    /// Keys on a line whose options cannot be used, and that line: denied
    /// whatever other lines say.
    var failedClosed: [PublicKey: Int] = [:]
    var warnings: [KeyFileError] = []
    private var entriesByName: [NameKey: AuthorizedKeys.Entry] = [:]

    private struct NameKey: Hashable {
        var name: String
        var algorithm: KeyAlgorithm
    }

    /// An empty list.
    init() {}

    /// An empty list because the file could not be read.
    init(failure: KeyFileError) {
        warnings = [failure]
    }

    init(parsing bytes: [UInt8], path: String) {
        for line in AllowListLine.parse(bytes, path: path, warnings: &warnings) {
            switch line {
            case let .failedClosed(key, number, _):
                if failedClosed[key] == nil { failedClosed[key] = number }
            case let .entry(entry):
                add(entry, path: path)
            }
        }
    }

    private mutating func add(_ entry: AuthorizedKeys.Entry, path: String) {
        if let first = entriesByKey[entry.key] {
            warnings.append(.duplicateKey(path: path, line: entry.line, firstLine: first.line, fingerprint: entry.key.fingerprint))
            return
        }
        let nameKey = NameKey(name: entry.name, algorithm: entry.key.algorithm)
        if let first = entriesByName[nameKey] {
            warnings.append(.duplicateName(path: path, line: entry.line, firstLine: first.line, name: entry.name))
            return
        }
        entries.append(entry)
        entriesByKey[entry.key] = entry
        entriesByName[nameKey] = entry
    }

    /// The entry that gives `name` to a key of `algorithm`.
    func entry(named name: String, algorithm: KeyAlgorithm) -> AuthorizedKeys.Entry? {
        entriesByName[NameKey(name: name, algorithm: algorithm)]
    }
}
