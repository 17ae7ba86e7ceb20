import KeyGateSystem
import KeyGateChannel
import KeyGateClient
import KeyGateServer

/// `keygate chat`: joins the server's chat room.
struct ChatCommand: Command {
    let spec = CommandSpec(
        name: "chat",
        summary: "Chat on a KeyGate server: rooms, private messages, history.",
        usage: "HOST[:PORT] [--keys DIR] [--name NAME] [--server-key PUBFILE] [--dh DH] [--json] [--timestamps] [--timeout SECONDS]",
        options: [
            .keys, .clientName, .serverKey, .dh, .acceptNewHostKey, .invite,
            .keyLog, .labFixedEphemeral,
            .init("json", help: "Print every message from the server as one JSON line (the grant or denial first)."),
            Self.receiptTimeout.option,
            .init("timestamps", help: "Show the server's time (UTC) before each message."),
            .init("no-bell", help: "No terminal bell on a private message or a mention of your name."),
            .timeout, .traceHandshake, .traceFile,
        ],
        discussion: """
            Interactive when standard input is a terminal: type a line and
            press Enter to say it in the current room (the one last joined;
            everyone starts in 'lobby'). Incoming messages appear above the
            line being typed; Up/Down recall earlier lines, Ctrl-A/E jump,
            Ctrl-U/W erase. Commands:

            \(ChatClient.helpLines.map { "  " + $0 }.joined(separator: "\n"))

            Scripted otherwise: each input line is said (empty lines are
            skipped), lines starting with / are commands. At the end of input
            the client waits until the server has delivered each of its
            messages back to it (or refused it), then, with --json, prints
            the transcript head of every room it is in, leaves and exits 0.

            Output: one line per event, '[room seq] name: text' ('~' before
            seq marks history replayed on joining), '[alice -> bob] text'
            for private messages, '* name joined room', '! error'; or with
            --json each message as sent. Every room message carries 'hash',
            the room's SHA-256 transcript chain: clients that print the same
            head saw the same history. Logs and errors go to standard error.

            The first connection to a server records its key in
            DIR/known_hosts; later connections refuse a different key (exit 4).
            With --server-key the key is pinned and the IK handshake is used.

            \(ExitStatus.helpTable)
            """
    )

    static let receiptTimeout = TypedOption.seconds(
        "receipt-timeout", help: "At the end of scripted input, wait this long for the server to confirm every message",
        default: .seconds(30))

    func run(_ arguments: ParsedArguments) async throws -> ExitStatus {
        let server = try HostAndPort(parsing: try arguments.singlePositional("HOST[:PORT]", command: spec.name),
                                     defaultPort: KeyGateWire.defaultControlPort)
        let log = Log(level: .warning)
        var options = try arguments.gateClientOptions(server: server, service: KeyGateWire.chatService, log: log)
        options.traceFile = try await arguments.openTraceFile(log: log)
        let json = arguments.flag("json")
        if json {
            options.replyObserver = { Console.shared.out(String(decoding: $0, as: UTF8.self)) }
        }
        let receiptTimeout = try Self.receiptTimeout.value(in: arguments)
        let status: ExitStatus
        do {
            try await arguments.redeemInvite(options)
            let session = try await GateClient.connect(options)
            if !json {
                Console.shared.err("connected to \(server) as \(session.name)")
            }
            status = await ChatClient.run(session, options: ChatClient.Options(
                json: json, receiptTimeout: receiptTimeout,
                interactive: StandardInput.isTerminal && !json,
                timestamps: arguments.flag("timestamps"), bell: !arguments.flag("no-bell")))
        } catch {
            Console.shared.err("keygate chat: \(error)")
            status = error.exitStatus
        }
        await options.traceFile?.close()
        await log.flush()
        await Console.shared.flush()
        return status
    }
}
