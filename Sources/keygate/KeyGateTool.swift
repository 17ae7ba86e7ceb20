import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import Glibc

/// The `keygate` command-line tool: finds the subcommand, parses its
/// arguments, runs it and exits with its status. Everything it prints goes
/// through `Console.shared`, in order with the log.
@main
enum KeyGateTool {
    static let version = "0.1.0"

    static let commands: [any Command] = [
        ServeCommand(),
        ChatCommand(),
        FTPShellCommand(),
        FTPProxyCommand(),
        KeygenCommand(),
        FingerprintCommand(),
        AllowCommand(),
        RevokeCommand(),
        InviteCommand(),
        KeysCommand(),
        SpeedCommand(),
        BenchCommand(),
        ProbeCommand(),
        EchoCommand(),
        TraceCommand(),
        LessonCommand(),
        DecodeCommand(),
    ]

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first else {
            Console.shared.out(overview)
            await finish(.usage)
        }
        switch first {
        case "--help", "-h", "help":
            Console.shared.out(overview)
            await finish(.success)
        case "--version", "-V":
            Console.shared.out("keygate \(version) (protocol \(KeyGateWire.protocolVersion))")
            await finish(.success)
        default:
            break
        }
        guard let command = commands.first(where: { $0.spec.name == first }) else {
            Console.shared.err("keygate: unknown command '\(first)'; see 'keygate --help'")
            await finish(.usage)
        }
        arguments.removeFirst()
        let status: ExitStatus
        do {
            let parsed = try command.spec.parse(arguments)
            if parsed.wantsHelp {
                Console.shared.out(command.spec.helpText)
                await finish(.success)
            }
            status = try await command.run(parsed)
        } catch let error as UsageError {
            Console.shared.err("keygate \(first): \(error)")
            status = .usage
        } catch {
            Console.shared.err("keygate \(first): \(error)")
            status = .failure
        }
        await finish(status)
    }

    /// Ends the process with `status` once everything written to the
    /// console (standard output and error, the log) has gone out.
    static func finish(_ status: ExitStatus) async -> Never {
        await Console.shared.flush()
        exit(status.rawValue)
    }

    static var overview: String {
        let width = (commands.map(\.spec.name.count).max() ?? 0) + 2
        let list = commands.map { "  " + $0.spec.name.padding(to: width) + $0.spec.summary }
        return """
            keygate \(version): encrypted chat and file transfer behind a Noise handshake.

            Usage: keygate COMMAND [options]

            Commands:
            \(list.joined(separator: "\n"))

            Options:
              --help      Show this help (or 'keygate COMMAND --help' for one command).
              --version   Show the version.

            \(ExitStatus.helpTable)
            """
    }
}
