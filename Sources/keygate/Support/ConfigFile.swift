import KeyGateSystem

/// A configuration file of `key value` lines, as `keygate serve --config`
/// reads it:
///
///     # the control port and the data ports
///     listen 0.0.0.0:7700
///     data-ports 7700-7799
///     ftp-home-per-client yes
///     handshake-timeout 500ms
///
/// Keys are the command's options without `--`; `#` starts a comment
/// line; blank lines are ignored; the value is the rest of the line (it
/// may hold spaces, as a path may). What the keys and values mean is the
/// command's business: `CommandSpec.applying(_:to:)` checks them against
/// its options.
struct ConfigFile: Sendable {
    /// One `key value` line.
    struct Setting: Sendable, Equatable {
        let key: String
        let value: String
        /// The line number, from 1.
        let line: Int
    }

    /// The file's path, as given.
    let path: String
    /// The settings, in file order.
    let settings: [Setting]
    /// Lines that are not `key value`: their number and `path:line: what
    /// is wrong`.
    let problems: [(line: Int, text: String)]

    /// The settings in `text`, read from `path`.
    init(path: String, text: String) {
        self.path = path
        var settings: [Setting] = []
        var problems: [(line: Int, text: String)] = []
        // "\r\n" is one Character in Swift: both line ends split.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmed(where: Self.isBlank)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let number = index + 1
            guard let space = line.firstIndex(where: { $0 == " " || $0 == "\t" }) else {
                problems.append((number, "\(path):\(number): '\(line)' has no value; write 'key value'"))
                continue
            }
            let key = String(line[..<space])
            let value = line[space...].trimmed(where: Self.isBlank)
            if let bad = line.unicodeScalars.first(where: { $0.value < 0x20 && $0 != "\t" || $0.value == 0x7f }) {
                problems.append((number, "\(path):\(number): control character U+\(String(bad.value, radix: 16, uppercase: true)) in '\(key)'; write plain text"))
                continue
            }
            settings.append(Setting(key: key, value: String(value), line: number))
        }
        self.settings = settings
        self.problems = problems
    }

    /// Spaces, tabs and the carriage return of a CRLF line.
    @Sendable static func isBlank(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" || scalar == "\r" }

    /// `path:line`, where a setting was written.
    func origin(of setting: Setting) -> String {
        "\(path):\(setting.line)"
    }
}
