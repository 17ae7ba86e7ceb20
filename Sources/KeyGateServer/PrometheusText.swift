/// Builds a Prometheus text exposition (format 0.0.4): `# HELP` and
/// `# TYPE` lines per family, then `name{label="value",...} number` lines,
/// with label values and help texts escaped as the format requires.
struct PrometheusText {
    private(set) var output = ""

    /// Starts the family `name`.
    mutating func family(_ name: String, type: String, help: String) {
        output += "# HELP \(name) \(Self.escapedHelp(help))\n# TYPE \(name) \(type)\n"
    }

    /// One sample of the current family.
    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Int) {
        output += Self.series(name, labels) + " \(value)\n"
    }

    /// One sample with a fractional value.
    mutating func sample(_ name: String, _ labels: KeyValuePairs<String, String>, _ value: Double) {
        output += Self.series(name, labels) + " \(Self.number(value))\n"
    }

    private static func series(_ name: String, _ labels: KeyValuePairs<String, String>) -> String {
        guard !labels.isEmpty else { return name }
        return name + "{" + labels.map { "\($0.key)=\"\(escapedLabel($0.value))\"" }.joined(separator: ",") + "}"
    }

    /// A number as Go's strconv prints it for Prometheus: `0.005`, `1`, `2.5`.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : "\(value)"
    }

    /// A label value: backslash, double quote and line feed escaped.
    static func escapedLabel(_ value: String) -> String {
        var result = ""
        for character in value {
            switch character {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            default: result.append(character)
            }
        }
        return result
    }

    /// A help text: backslash and line feed escaped.
    static func escapedHelp(_ value: String) -> String {
        value.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }
}
