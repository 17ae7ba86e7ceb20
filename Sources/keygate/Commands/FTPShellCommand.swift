import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateServer

/// `keygate ftp`: the FTP client.
struct FTPShellCommand: Command {
    let spec = CommandSpec(
        name: "ftp",
        summary: "Transfer files with the FTP service of a KeyGate server.",
        usage: "HOST[:PORT] [--keys DIR] [--name NAME] [--server-key PUBFILE] [--dh DH] [COMMAND ARGS...]",
        options: [
            .keys, .clientName, .serverKey, .dh, .acceptNewHostKey, .invite,
            .keyLog, .labFixedEphemeral,
            .init("resume", help: "With get or put: continue from the bytes already there (REST)."),
            .timeout, .traceHandshake, .traceFile,
        ],
        discussion: """
            The words after the host form one command; without one, commands
            are read from standard input: an interactive shell with a prompt
            when it is a terminal (type help), else one command a line,
            stopping at the first failure.

            \(FTPShell.helpText)

            Downloads are written to a temporary file in the target folder
            and renamed when complete: a failed transfer leaves no file. A
            progress bar is drawn on standard error when it is a terminal.

            \(ExitStatus.helpTable)
            """
    )

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        guard let target = arguments.positionals.first else {
            throw UsageError("missing HOST[:PORT]; see 'keygate ftp --help'")
        }
        let server = try HostAndPort(parsing: target, defaultPort: KeyGateWire.defaultControlPort)
        let words = Array(arguments.positionals.dropFirst())
        let log = Log(level: .warning)
        var options = try arguments.gateClientOptions(server: server, service: KeyGateWire.ftpService, log: log)
        options.traceFile = try await arguments.openTraceFile(log: log)
        let status: ExitStatus
        do {
            try await arguments.redeemInvite(options)
            let session = try await GateClient.connect(options)
            let client = try await FTPClient.start(session, timeout: options.timeout)
            let interactive = words.isEmpty && StandardInput.isTerminal
            if interactive {
                Console.shared.err("connected to \(server) as \(session.name); type help for the commands")
            }
            let shell = FTPShell(client: client, options: FTPShell.Options(
                interactive: interactive, showProgress: isatty(STDERR_FILENO) == 1, resume: arguments.flag("resume")))
            status = await shell.run(words: words)
        } catch let error as ClientError {
            Console.shared.err("keygate ftp: \(error)")
            status = error.exitStatus
        } catch {
            Console.shared.err("keygate ftp: \(error)")
            status = .failure
        }
        await options.traceFile?.close()
        await log.flush()
        await Console.shared.flush()
        return status
    }
}
