/// Splits the bytes of a key file into numbered lines.
enum KeyFileLines {
    /// One line: its 1-based number, and its text without the line break
    /// (`\n` or `\r\n`), or nil when it is not valid UTF-8.
    struct Line {
        var number: Int
        var text: String?
    }

    static func split(_ bytes: [UInt8]) -> [Line] {
        guard !bytes.isEmpty else { return [] }
        var lines: [Line] = []
        var number = 0
        for var raw in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            number += 1
            if raw.last == UInt8(ascii: "\r") { raw = raw.dropLast() }
            lines.append(Line(number: number, text: String(validating: raw, as: UTF8.self)))
        }
        // The newline that ends the last line does not start another one.
        if bytes.last == UInt8(ascii: "\n") { lines.removeLast() }
        return lines
    }

    /// The one key line of a private or public key file, and its number.
    /// Blank lines and `#` comments around it are allowed.
    /// - Throws: `KeyFileError.invalidKeyFile` for an unparsable or second
    ///   key line, `.noKeyInFile` when there is none.
    static func singleKeyLine(in bytes: [UInt8], path: String) throws(KeyFileError) -> (number: Int, line: KeyLine) {
        var found: (number: Int, line: KeyLine)?
        for line in split(bytes) {
            guard let text = line.text else {
                throw .invalidKeyFile(path: path, line: line.number, problem: .invalidUTF8)
            }
            if KeyLine.isIgnorable(text) { continue }
            guard found == nil else {
                throw .invalidKeyFile(path: path, line: line.number, problem: .secondKey)
            }
            do {
                found = (line.number, try KeyLine(parsing: text))
            } catch {
                throw .invalidKeyFile(path: path, line: line.number, problem: error)
            }
        }
        guard let found else { throw .noKeyInFile(path: path) }
        return found
    }
}
