/// The parsed contents of an allow-list file (see `AuthorizedKeys`).
struct AuthorizedKeysList: Sendable {
    var entries: [AuthorizedKeys.Entry] = []
    var entriesByKey: [PublicKey: AuthorizedKeys.Entry] = [:]
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
        for line in KeyFileLines.split(bytes) {
            func skip(_ problem: KeyLineProblem) {
                warnings.append(.skippedLine(path: path, line: line.number, problem: problem))
            }
            guard let text = line.text else {
                skip(.invalidUTF8)
                continue
            }
            if KeyLine.isIgnorable(text) { continue }
            let key: PublicKey
            let keyLine: KeyLine
            do {
                keyLine = try KeyLine(parsing: text)
                key = try keyLine.publicKey()
            } catch {
                skip(error)
                continue
            }
            let name = keyLine.comment ?? key.fingerprint
            if let reason = AuthorizedKeys.problem(withName: name) {
                skip(.invalidName(name: name, reason: reason))
                continue
            }
            if let first = entriesByKey[key] {
                warnings.append(.duplicateKey(path: path, line: line.number, firstLine: first.line, fingerprint: key.fingerprint))
                continue
            }
            let nameKey = NameKey(name: name, algorithm: key.algorithm)
            if let first = entriesByName[nameKey] {
                warnings.append(.duplicateName(path: path, line: line.number, firstLine: first.line, name: name))
                continue
            }
            let entry = AuthorizedKeys.Entry(key: key, name: name, line: line.number)
            entries.append(entry)
            entriesByKey[key] = entry
            entriesByName[nameKey] = entry
        }
    }

    /// The entry that gives `name` to a key of `algorithm`.
    func entry(named name: String, algorithm: KeyAlgorithm) -> AuthorizedKeys.Entry? {
        entriesByName[NameKey(name: name, algorithm: algorithm)]
    }
}
