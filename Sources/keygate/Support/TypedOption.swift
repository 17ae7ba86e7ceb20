/// An option with a typed value: how its text is read, its default, and the
/// default that `--help` shows all come from this one definition, so that
/// the parser, the help and the configuration cannot drift apart. The
/// default is the configuration's own (`ServerConfiguration`,
/// `SourceLimits.defaults`, `SessionBench.Configuration`).
struct TypedOption<Value: Sendable>: Sendable {
    /// The option as the parser and the help see it.
    let option: CommandSpec.Option
    /// The value when the option is absent.
    let defaultValue: Value
    private let read: @Sendable (String) throws(UsageError) -> Value

    /// `help` is one sentence without its final period; "(default
    /// `shownDefault`)." is added to it.
    init(
        _ name: String, value: String, help: String, default defaultValue: Value, shownDefault: String,
        read: @escaping @Sendable (String) throws(UsageError) -> Value
    ) {
        option = CommandSpec.Option(name, value: value, help: "\(help) (default \(shownDefault)).") { text throws(UsageError) in
            _ = try read(text)
        }
        self.defaultValue = defaultValue
        self.read = read
    }

    /// The value given on the command line, or the default.
    /// - Throws: `UsageError` naming the option when the text is not a value.
    func value(in arguments: ParsedArguments) throws(UsageError) -> Value {
        guard let text = arguments.value(option.name) else { return defaultValue }
        return try read(text)
    }
}

extension TypedOption where Value == Int {
    /// A whole number in `range`.
    static func integer(
        _ name: String, value: String = "N", help: String, default defaultValue: Int, in range: ClosedRange<Int>
    ) -> TypedOption {
        TypedOption(name, value: value, help: help, default: defaultValue, shownDefault: "\(defaultValue)") { text throws(UsageError) in
            guard let number = Int(text), range.contains(number) else {
                throw UsageError("--\(name) must be a whole number in \(range.lowerBound)...\(range.upperBound), got '\(text)'")
            }
            return number
        }
    }
}

extension TypedOption where Value == Duration {
    /// A duration: a number of seconds (fractions allowed) with an
    /// optional unit, `2`, `2s`, `1.5`, `500ms`; positive, or also 0 when
    /// `zero` says what 0 means (shown in the help).
    static func seconds(
        _ name: String, help: String, default defaultValue: Duration, zero: String? = nil
    ) -> TypedOption {
        let shown = Self.format(defaultValue) + (zero.map { "; 0: \($0)" } ?? "")
        return TypedOption(name, value: "SECONDS", help: help, default: defaultValue, shownDefault: shown) { text throws(UsageError) in
            guard let duration = parseDuration(text), duration > .zero || (zero != nil && duration == .zero) else {
                let bound = zero == nil ? "a positive number of seconds" : "a number of seconds >= 0"
                throw UsageError("--\(name) must be \(bound) (2, 2s, 1.5 or 500ms), got '\(text)'")
            }
            return duration
        }
    }

    /// `2`, `1.5`, `2s` (seconds) or `500ms` (milliseconds), to the
    /// millisecond; nil for anything else, negative or above a day.
    static func parseDuration(_ text: String) -> Duration? {
        let (number, scale): (Substring, Double) =
            text.hasSuffix("ms") ? (text.dropLast(2), 1) : text.hasSuffix("s") ? (text.dropLast(), 1000) : (text[...], 1000)
        guard let first = number.first, first.isNumber, let value = Double(number), value.isFinite, value >= 0 else {
            return nil
        }
        let milliseconds = (value * scale).rounded()
        guard milliseconds <= 86_400_000 else { return nil }
        return .milliseconds(Int(milliseconds))
    }

    /// `duration` in seconds as the help shows it: `10`, `1.5`.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        let rounded = (seconds * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
