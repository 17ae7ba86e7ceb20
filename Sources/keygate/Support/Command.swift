import KeyGateSystem
import KeyGateClient
/// One `keygate` subcommand.
protocol Command: Sendable {
    /// Name, summary, options and help text.
    var spec: CommandSpec { get }
    /// Runs the command with its parsed arguments and returns the exit status.
    func run(_ arguments: ParsedArguments) async throws -> ExitStatus
}
