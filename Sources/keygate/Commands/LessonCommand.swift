import KeyGateSystem
import KeyGateClient
import KeyGateCrypto
import KeyGateLab

/// `keygate lesson dh`: Diffie-Hellman explained with small numbers, then
/// measured with ffdhe2048 and X25519.
struct LessonCommand: Command {
    let spec = CommandSpec(
        name: "lesson",
        summary: "Learn how Diffie-Hellman works: small numbers step by step, then the real groups.",
        usage: "dh [--json] [--p P --g G --a A --b B] [--rounds N]",
        options: [
            .init("json", help: "Print the worksheet as one JSON object: every number and step, every value in hex."),
            .init("p", value: "P", help: "The small prime (default 23; a prime from 5 to 2^31)."),
            .init("g", value: "G", help: "The small base (default 5; 1 < G < P-1)."),
            .init("a", value: "A", help: "Alice's secret (default 6; 1 to P-2)."),
            .init("b", value: "B", help: "Bob's secret (default 15; 1 to P-2)."),
            Self.rounds.option,
        ],
        discussion: """
            The only lesson is 'dh'. It first works a finite-field exchange
            by hand: A = g^a mod p and B = g^b mod p by square-and-multiply,
            each bit of the exponent shown, then both shared secrets, why
            they agree ((g^b)^a = (g^a)^b mod p), and what an eavesdropper
            who sees p, g, A and B must do. Then it runs real exchanges with
            RFC 7919's ffdhe2048 group and with X25519, as KeyGate's
            handshakes use them: key and message sizes, the time of one
            exchange on this machine, and the two secrets side by side.
            The primitives are optimized in every build, so the times hold
            in a debug build too; --rounds averages over more exchanges.
            """
    )

    static let rounds = TypedOption.integer(
        "rounds", help: "Exchanges timed for each real group", default: 20, in: 1...100_000)

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let topic = try arguments.singlePositional("LESSON (dh)", command: spec.name)
        guard topic == "dh" else {
            throw UsageError("unknown lesson '\(topic)'; the lesson is 'dh'")
        }
        let classic = DHLesson.SmallNumbers.classic
        let numbers: DHLesson.SmallNumbers
        do {
            numbers = try DHLesson.SmallNumbers(
                p: try number("p", in: arguments, default: classic.p), g: try number("g", in: arguments, default: classic.g),
                a: try number("a", in: arguments, default: classic.a), b: try number("b", in: arguments, default: classic.b))
        } catch let error as LabError {
            throw UsageError(error.description)
        }
        let rounds = try Self.rounds.value(in: arguments)
        // Seconds of arithmetic with --rounds in the thousands: off the
        // cooperative pool.
        let lesson = try await BlockingExecutor.shared.run { () throws(CryptoError) -> DHLesson in
            try DHLesson(numbers: numbers, rounds: rounds)
        }
        Console.shared.out(arguments.flag("json") ? lesson.json.description : lesson.text)
        return .success
    }

    private func number(_ name: String, in arguments: ParsedArguments, default value: UInt64) throws(UsageError) -> UInt64 {
        guard let text = arguments.value(name) else { return value }
        guard let number = UInt64(text) else { throw UsageError("--\(name) must be a whole number, got '\(text)'") }
        return number
    }
}
