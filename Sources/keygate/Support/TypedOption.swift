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
        option = CommandSpec.Option(name, value: value, help: "\(help) (default \(shownDefault)).")
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
    /// A number of seconds (fractions allowed): positive, or also 0 when
    /// `zero` says what 0 means (shown in the help).
    static func seconds(
        _ name: String, help: String, default defaultValue: Duration, zero: String? = nil
    ) -> TypedOption {
        let shown = Self.format(defaultValue) + (zero.map { "; 0: \($0)" } ?? "")
        return TypedOption(name, value: "SECONDS", help: help, default: defaultValue, shownDefault: shown) { text throws(UsageError) in
            guard let number = Double(text), number.isFinite, number > 0 || (zero != nil && number == 0) else {
                let bound = zero == nil ? "a positive number of seconds" : "a number of seconds >= 0"
                throw UsageError("--\(name) must be \(bound), got '\(text)'")
            }
            return .milliseconds(Int((number * 1000).rounded()))
        }
    }

    /// `duration` in seconds as the help shows it: `10`, `1.5`.
    static func format(_ duration: Duration) -> String {
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        let rounded = (seconds * 1000).rounded() / 1000
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
