import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import Glibc

/// The `keygate` command-line tool: finds the subcommand, parses its
/// arguments, runs it and exits with its status.
@main
enum KeyGateTool {
    static let version = "0.1.0"

    static let commands: [any Command] = [
        ServeCommand(),
        ChatCommand(),
        FTPCommand(),
        FTPProxyCommand(),
        KeygenCommand(),
        FingerprintCommand(),
        AllowCommand(),
        SpeedCommand(),
        BenchCommand(),
        ProbeCommand(),
        EchoCommand(),
    ]

    static func main() async {
        var arguments = Array(CommandLine.arguments.dropFirst())
        guard let first = arguments.first else {
            print(overview)
            exit(ExitStatus.usage.rawValue)
        }
        switch first {
        case "--help", "-h", "help":
            print(overview)
            exit(ExitStatus.success.rawValue)
        case "--version", "-V":
            print("keygate \(version) (protocol \(KeyGateWire.protocolVersion))")
            exit(ExitStatus.success.rawValue)
        default:
            break
        }
        guard let command = commands.first(where: { $0.spec.name == first }) else {
            printError("keygate: unknown command '\(first)'; see 'keygate --help'")
            exit(ExitStatus.usage.rawValue)
        }
        arguments.removeFirst()
        let status: ExitStatus
        do {
            let parsed = try command.spec.parse(arguments)
            if parsed.wantsHelp {
                print(command.spec.helpText)
                exit(ExitStatus.success.rawValue)
            }
            status = try await command.run(parsed)
        } catch let error as UsageError {
            printError("keygate \(first): \(error)")
            status = .usage
        } catch {
            printError("keygate \(first): \(error)")
            status = .failure
        }
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
