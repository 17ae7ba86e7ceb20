import KeyGateSystem
import Glibc
import KeyGateChannel
import KeyGateClient
import KeyGateFTP
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
            .init("resume", help: "With get, put and their -r, mget and mput: continue from the bytes already there (REST)."),
            .init("limit-rate", value: "RATE",
                  help: "Move at most RATE bytes per second each transfer; K, M, G are powers of 1024 as in curl (10M)."),
            .init("json", help: "Print one JSON event per file transferred or skipped on standard output, and a summary event after each multi-file command."),
            .init("parallel", value: "N",
                  help: "Move the files of put -r, get -r, mirror, mget and mput over N sessions at once (default 1; -P N in a command)."),
            .init("retries", value: "N",
                  help: "Resume a transfer whose data connection breaks up to N times (default 3; 0: never)."),
            .init("no-verify", help: "Do not compare each file's SHA-256 with the server's (HASH) after its transfer."),
            .init("delete", help: "With mirror: then remove from the destination the files and folders the source does not hold (mirror --delete)."),
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
        let rate = try arguments.byteSize("limit-rate")
        let retries = try arguments.integer("retries", default: 3, in: 0...100)
        let parallel = try arguments.integer("parallel", default: 1, in: 1...64)
        var options = try arguments.gateClientOptions(server: server, service: KeyGateWire.ftpService, log: log)
        options.traceFile = try await arguments.openTraceFile(log: log)
        let status: ExitStatus
        do {
            try await arguments.redeemInvite(options)
            let session = try await GateClient.connect(options)
            let mover = DataMover(bytesPerSecond: rate)
            let client = try await FTPClient.start(session, timeout: options.timeout, mover: mover)
            let sessionOptions = options
            let openSession: @Sendable () async throws -> FTPClient = {
                let more = try await GateClient.connect(sessionOptions)
                return try await FTPClient.start(more, timeout: sessionOptions.timeout, mover: mover)
            }
            let interactive = words.isEmpty && StandardInput.isTerminal
            if interactive {
                Console.shared.err("connected to \(server) as \(session.name); type help for the commands")
            }
            let shell = FTPShell(client: client, options: FTPShell.Options(
                interactive: interactive, showProgress: isatty(STDERR_FILENO) == 1, resume: arguments.flag("resume"),
                verify: !arguments.flag("no-verify"), json: arguments.flag("json"),
                retries: retries, parallel: parallel, deleteExtras: arguments.flag("delete")), openSession: openSession)
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
