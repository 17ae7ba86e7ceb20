import Foundation

/// A fail2ban filter file read as fail2ban reads it, far enough to match
/// lines with Foundation's regular expressions: the `[Definition]`
/// section's values (continuation lines, `%(name)s` interpolation), its
/// `failregex` lines with `<HOST>` replaced by an IPv4 or IPv6 address
/// group, and its `datepattern`s, whose match fail2ban cuts out of a line
/// before it applies the `failregex`.
struct Fail2banFilter {
    let failRegexes: [NSRegularExpression]
    let datePatterns: [NSRegularExpression]

    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var definitions: [String: String] = [:]
        var section = ""
        var key: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                section = String(line.dropFirst().prefix { $0 != "]" })
                key = nil
                continue
            }
            guard section == "Definition" else { continue }
            if let current = key, line.first == " " || line.first == "\t" {
                let continued = line.trimmingCharacters(in: .whitespaces)
                if !continued.isEmpty { definitions[current, default: ""] += "\n" + continued }
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { key = nil; continue }
            let name = line[..<equals].trimmingCharacters(in: .whitespaces)
            definitions[name] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            key = name
        }
        func interpolate(_ value: String) -> String {
            var result = value
            for (name, replacement) in definitions where name.hasPrefix("_") {
                result = result.replacingOccurrences(of: "%(\(name))s", with: replacement)
            }
            return result
        }
        let host = #"\[?(?<host>[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+)\]?"#
        failRegexes = try (definitions["failregex"] ?? "").split(separator: "\n").map { line in
            try NSRegularExpression(pattern: interpolate(String(line)).replacingOccurrences(of: "<HOST>", with: host))
        }
        let fields = [("%%Y", #"\d{4}"#), ("%%m", #"\d{2}"#), ("%%d", #"\d{2}"#), ("%%H", #"\d{2}"#),
                      ("%%M", #"\d{2}"#), ("%%S", #"\d{2}"#), ("%%f", #"\d+"#), ("{^LN-BEG}", "^")]
        datePatterns = try (definitions["datepattern"] ?? "").split(separator: "\n").map { line in
            var pattern = String(line)
            for (field, regex) in fields { pattern = pattern.replacingOccurrences(of: field, with: regex) }
            return try NSRegularExpression(pattern: pattern)
        }
    }

    /// The address a failregex finds in `line` once its date is cut out,
    /// or nil when none matches (or no date is found, as fail2ban skips
    /// such a line).
    func host(in line: String) -> String? {
        var rest = line
        guard let date = datePatterns.lazy.compactMap({ $0.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) }).first,
              let range = Range(date.range, in: line)
        else { return nil }
        rest.removeSubrange(range)
        for regex in failRegexes {
            if let match = regex.firstMatch(in: rest, range: NSRange(rest.startIndex..., in: rest)),
               let hostRange = Range(match.range(withName: "host"), in: rest) {
                return String(rest[hostRange])
            }
        }
        return nil
    }
}
