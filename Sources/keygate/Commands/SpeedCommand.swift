import KeyGateSystem
import KeyGateBenchmarks
import KeyGateChannel
import KeyGateClient
import KeyGateCrypto

/// `keygate speed`: throughput of the primitives on one core, like
/// `openssl speed`, and of the socket layer on the loopback interface.
struct SpeedCommand: Command {
    let spec = CommandSpec(
        name: "speed",
        summary: "Measure the speed of KeyGate's cryptography and sockets.",
        usage: "[--json] [--seconds SECONDS] [NAME...]",
        options: [
            .init("json", help: "Print one JSON object {\"name\": value, ..., \"paths\": {\"primitive\": \"path\"}} instead of a table."),
            Self.seconds.option,
            .init("list", help: "List the benchmark names and exit."),
        ],
        discussion: """
            Figures are MB/s (10^6 bytes per second) for bulk primitives and
            operations per second for key agreement. The cryptography runs on
            one core; loopback-bulk (one TCP stream) and loopback-rr (64-byte
            request/response round trips) run both ends of one connection on
            127.0.0.1 in this process. Build in release mode for meaningful
            numbers: swift run -c release keygate speed

            The first line (in JSON the "paths" member) says which code path
            each primitive takes: the AVX-512, AVX2, SHA-NI or mulx kernels
            that the CPU offers, chosen at start from CPUID, or the portable
            Swift, which KEYGATE_CPU=portable forces (KEYGATE_CPU=avx2 leaves
            out AVX-512 only).
            """
    )

    static let seconds = TypedOption.seconds("seconds", help: "Time spent on each measurement", default: .seconds(1))

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let available = SpeedBenchmark.all
        if arguments.flag("list") {
            for benchmark in available { Console.shared.out(benchmark.name) }
            return .success
        }
        let duration = try Self.seconds.value(in: arguments)
        var selected = available
        if !arguments.positionals.isEmpty {
            selected = try arguments.positionals.map { name throws(UsageError) in
                guard let benchmark = available.first(where: { $0.name == name }) else {
                    throw UsageError("unknown benchmark '\(name)'; known: \(available.map(\.name).joined(separator: ", "))")
                }
                return benchmark
            }
        }
        // Which code path each primitive takes in this process: the fast
        // paths this CPU offers, or the portable ones (KEYGATE_CPU=portable).
        let paths = CryptoImplementation.paths.map { "\($0.primitive) \($0.path)" }.joined(separator: ", ")
        if !arguments.flag("json") {
            Console.shared.out("cpu: \(CPUFeatures.detected), enabled \(CPUFeatures.enabled); paths: \(paths)")
        }
        var results: [(String, Double)] = []
        for benchmark in selected {
            let figure = try await benchmark.measure(for: duration)
            results.append((benchmark.name, figure))
            if !arguments.flag("json") {
                Console.shared.out(benchmark.name.padding(to: 26) + formatted(figure) + " " + benchmark.unitLabel)
            }
        }
        if arguments.flag("json") {
            let figures = results.map { name, figure -> (String, JSONValue) in
                let rounded = (figure * 10).rounded() / 10
                return (name, rounded == rounded.rounded() ? .integer(Int(rounded)) : .double(rounded))
            }
            let paths = JSONValue.object(CryptoImplementation.paths.map { ($0.primitive, .string($0.path)) })
            Console.shared.out(JSONValue.object(figures + [("paths", paths)]).description)
        }
        return .success
    }

    private func formatted(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
