import Glibc
import Synchronization

/// One line per event on standard error (or elsewhere), with a UTC
/// timestamp, a level, the event and `key=value` fields:
///
///     2026-11-26T19:40:00.123Z INFO  granted peer=127.0.0.1:53122 key=SHA256:Xy.. name=alice port=7742
///
/// Writing never blocks the caller: lines are handed to the `OutputWriter`,
/// whose lane does the (possibly slow) write, so a stalled terminal or pipe
/// cannot freeze the tasks that log.
public final class Log: Sendable {
    /// Severity, lowest first.
    public enum Level: Int, Comparable, Sendable, CaseIterable, CustomStringConvertible {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        /// Parses `debug`, `info`, `warning` (or `warn`), `error`.
        public init?(name: String) {
            switch name.lowercased() {
            case "debug": self = .debug
            case "info": self = .info
            case "warning", "warn": self = .warning
            case "error": self = .error
            default: return nil
            }
        }

        public var description: String {
            switch self {
            case .debug: return "debug"
            case .info: return "info"
            case .warning: return "warning"
            case .error: return "error"
            }
        }

        var label: String {
            switch self {
            case .debug: return "DEBUG"
            case .info: return "INFO "
            case .warning: return "WARN "
            case .error: return "ERROR"
            }
        }
    }

    /// How a line is written.
    public enum Format: String, Sendable, CaseIterable {
        /// `2026-11-26T19:40:00.123Z INFO  event key=value ...`, the default.
        case text
        /// One JSON object per line, for log pipelines:
        /// `{"time":"2026-11-26T19:40:00.123Z","level":"info","event":"granted","peer":"..."}`;
        /// fields in the order of the text form, every value a string.
        case json
    }

    /// Where lines go.
    public enum Destination: Sendable {
        /// File descriptor 2.
        case standardError
        /// Kept in memory (tests): read them with `lines`.
        case memory
        /// Nowhere.
        case discard
    }

    /// The lowest level written; shared by this log and those derived from
    /// it, and changed for all of them by `setLevel(_:)`.
    public var level: Level { Level(rawValue: output.level.load(ordering: .relaxed)) ?? .info }
    private let output: Output
    /// Fields added to every line of this log (`peer=... name=...`).
    private let context: [(String, String)]

    public init(level: Level = .info, destination: Destination = .standardError, format: Format = .text) {
        output = Output(destination: destination, level: level, format: format)
        context = []
    }

    private init(output: Output, context: [(String, String)]) {
        self.output = output
        self.context = context
    }

    /// A log writing to the same place whose lines also carry `fields`.
    public func with(_ fields: KeyValuePairs<String, String>) -> Log {
        Log(output: output, context: context + fields.map { ($0.key, $0.value) })
    }

    /// Writes lines of `level` and above from now on, in this log and
    /// every log derived from it or it from (a configuration reload).
    public func setLevel(_ level: Level) {
        output.level.store(level.rawValue, ordering: .relaxed)
    }

    /// The shared destination and level of a log and the logs derived from it.
    private final class Output: Sendable {
        let destination: Destination
        let format: Format
        let level: Atomic<Int>
        let captured = Mutex<[String]>([])

        init(destination: Destination, level: Level, format: Format) {
            self.destination = destination
            self.format = format
            self.level = Atomic(level.rawValue)
        }
    }

    /// A log that drops every line, errors included (for library callers
    /// that want silence).
    public static let silent = Log(level: .error, destination: .discard)

    /// Whether lines of `level` are written: never for a `.discard` log.
    public func isEnabled(_ level: Level) -> Bool { level >= self.level && output.destination != .discard }

    public func debug(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, String> = [:]) {
        write(.debug, event, fields)
    }

    public func info(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, String> = [:]) {
        write(.info, event, fields)
    }

    public func warning(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, String> = [:]) {
        write(.warning, event, fields)
    }

    public func error(_ event: @autoclosure () -> String, _ fields: @autoclosure () -> KeyValuePairs<String, String> = [:]) {
        write(.error, event, fields)
    }

    /// A line whose fields are only known at run time (a summary with one
    /// field per counted kind).
    public func write(_ level: Level, _ event: String, fields: [(String, String)]) {
        guard isEnabled(level) else { return }
        emit(level, event, fields)
    }

    /// The lines written so far, for a `.memory` log.
    public var lines: [String] {
        output.captured.withLock { $0 }
    }

    /// Waits until every line logged so far has been written.
    public func flush() async {
        await OutputWriter.shared.flush()
    }

    private func write(
        _ level: Level, _ event: () -> String, _ fields: () -> KeyValuePairs<String, String>
    ) {
        guard isEnabled(level) else { return }
        emit(level, event(), fields().map { ($0.key, $0.value) })
    }

    private func emit(_ level: Level, _ event: String, _ fields: [(String, String)]) {
        let line: String
        switch output.format {
        case .text:
            var text = Log.timestamp() + " " + level.label + " " + event
            for (key, value) in fields + context {
                text += " \(key)=\(Log.quoted(value))"
            }
            line = text
        case .json:
            var members = [("time", Log.timestamp()), ("level", level.description), ("event", event)]
            // A field named like one of those three keeps its value under a prefixed name.
            for (key, value) in fields + context {
                members.append((["time", "level", "event"].contains(key) ? "field_" + key : key, value))
            }
            line = "{" + members.map { "\(Log.jsonString($0.0)):\(Log.jsonString($0.1))" }.joined(separator: ",") + "}"
        }
        switch output.destination {
        case .memory:
            output.captured.withLock { $0.append(line) }
        case .standardError:
            OutputWriter.shared.write(Array((line + "\n").utf8), to: STDERR_FILENO)
        case .discard:
            break
        }
    }

    /// A field value as is, or in quotes when it holds spaces, quotes or
    /// control characters (escaped), so a line always parses back.
    static func quoted(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { scalar in
            scalar == " " || scalar == "\"" || scalar == "=" || scalar.value < 0x20 || scalar.value == 0x7f
        }
        guard needsQuotes else { return value }
        return escaped(value) { "\\x" + String($0.value, radix: 16) }
    }

    /// `value` as a JSON string (RFC 8259 section 7): quotes, backslashes
    /// and control characters escaped.
    static func jsonString(_ value: String) -> String {
        escaped(value) { scalar in
            let hex = String(scalar.value, radix: 16)
            return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        }
    }

    /// `value` in double quotes with quotes, backslashes, line ends and
    /// tabs escaped, and each other control character as `control` writes it.
    private static func escaped(_ value: String, control: (Unicode.Scalar) -> String) -> String {
        var result = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    result += control(scalar)
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }

    /// The current UTC time as `2026-11-26T19:40:00.123Z` (RFC 3339).
    public static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let milliseconds = Int(now.tv_nsec / 1_000_000)
        let millisecondText = milliseconds < 10 ? "00\(milliseconds)" : milliseconds < 100 ? "0\(milliseconds)" : "\(milliseconds)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millisecondText)Z"
    }
}
