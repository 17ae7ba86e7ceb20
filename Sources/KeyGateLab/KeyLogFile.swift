import KeyGateChannel

/// Reads a lab keylog written by `--keylog` (format: `SessionKeyLog`).
public enum KeyLogFile {
    /// The sessions in `bytes`, in file order (comments and blank lines skipped).
    /// - Throws: `LabError.badKeyLogLine` naming the first unreadable line.
    public static func entries(in bytes: [UInt8]) throws(LabError) -> [SessionKeyLog.Entry] {
        var entries: [SessionKeyLog.Entry] = []
        let text = String(decoding: bytes, as: UTF8.self)
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            do {
                entries.append(try SessionKeyLog.Entry(line: trimmed))
            } catch {
                throw .badKeyLogLine(line: index + 1, reason: error.reason)
            }
        }
        return entries
    }
}
