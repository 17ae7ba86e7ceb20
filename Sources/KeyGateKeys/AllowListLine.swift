/// One line of an allow-list or revocation file, parsed:
/// `[options] <algorithm> <base64 public key> [name]` (PROTOCOL.md section 8
/// and "Key options").
enum AllowListLine: Sendable {
    /// A usable line.
    case entry(AuthorizedKeys.Entry)
    /// A line whose key is readable but whose options are not: the key is
    /// denied (fail closed), never let in with fewer limits.
    case failedClosed(key: PublicKey, line: Int, problem: KeyLineProblem)

    /// The usable and failed-closed lines of `bytes`, in file order. Every
    /// problem is appended to `warnings` with the file and line; lines
    /// without a readable key are skipped.
    static func parse(_ bytes: [UInt8], path: String, warnings: inout [KeyFileError]) -> [AllowListLine] {
        var result: [AllowListLine] = []
        for line in KeyFileLines.split(bytes) {
            guard let text = line.text else {
                warnings.append(.skippedLine(path: path, line: line.number, problem: .invalidUTF8))
                continue
            }
            if KeyLine.isIgnorable(text) { continue }
            let (optionsField, rest) = splitOptions(text)
            let key: PublicKey
            let keyLine: KeyLine
            do {
                keyLine = try KeyLine(parsing: rest)
                key = try keyLine.publicKey()
            } catch {
                warnings.append(.skippedLine(path: path, line: line.number, problem: error))
                continue
            }
            func failClosed(_ problem: KeyLineProblem) {
                warnings.append(.lineFailedClosed(path: path, line: line.number, fingerprint: key.fingerprint, problem: problem))
                result.append(.failedClosed(key: key, line: line.number, problem: problem))
            }
            let options: KeyOptions
            do {
                options = try optionsField.map { (field) throws(KeyLineProblem) in try KeyOptions(parsing: field) } ?? KeyOptions()
            } catch {
                failClosed(error)
                continue
            }
            let name = keyLine.comment ?? key.fingerprint
            if let reason = AuthorizedKeys.problem(withName: name) {
                warnings.append(.skippedLine(path: path, line: line.number, problem: .invalidName(name: name, reason: reason)))
                continue
            }
            result.append(.entry(AuthorizedKeys.Entry(key: key, name: name, line: line.number, options: options)))
        }
        return result
    }

    /// Separates the options field from the key line. There are options
    /// when the first field is not an algorithm name and holds `=`; the
    /// field ends at the
    /// first space or tab outside double quotes.
    static func splitOptions(_ text: String) -> (options: Substring?, rest: Substring) {
        let line = text.drop { $0 == " " || $0 == "\t" }
        let first = line.prefix { $0 != " " && $0 != "\t" }
        // Every option has a value (`name="value"`): a first field without
        // `=` is a misspelt algorithm, reported as such.
        if KeyAlgorithm(rawValue: String(first)) != nil || !first.contains("=") { return (nil, line) }
        var inQuotes = false
        var escaped = false
        var end = line.startIndex
        while end < line.endIndex {
            let character = line[end]
            if escaped {
                escaped = false
            } else if character == "\\" && inQuotes {
                escaped = true
            } else if character == "\"" {
                inQuotes.toggle()
            } else if !inQuotes && (character == " " || character == "\t") {
                break
            }
            end = line.index(after: end)
        }
        return (line[..<end], line[end...])
    }
}
