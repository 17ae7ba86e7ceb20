import KeyGateSystem
import KeyGateChannel
import KeyGateChat

/// The `keygate chat` client: sends what the user types, prints what the
/// rooms say.
///
/// Scripted (stdin not a terminal): every line is said in the current room
/// (empty lines are skipped), lines starting with `/` are commands; at the
/// end of input the client waits until each of its messages has come back
/// as a receipt (or was refused), then, with `--json`, prints the
/// transcript head of every room it is in, says bye and exits 0 (5 if the
/// receipts are not all back within the timeout).
public enum ChatClient {
    public struct Options: Sendable {
        /// Print each received JSON message as one line instead of text.
        public var json: Bool
        /// How long to wait for receipts after the end of input.
        public var receiptTimeout: Duration
        /// Use the terminal line editor.
        public var interactive: Bool
        /// Show the server's time before each message.
        public var timestamps: Bool
        /// Ring the terminal bell on a private message or a mention (only
        /// when interactive).
        public var bell: Bool

        public init(
            json: Bool = false, receiptTimeout: Duration = .seconds(30), interactive: Bool = false,
            timestamps: Bool = false, bell: Bool = true
        ) {
            self.json = json
            self.receiptTimeout = receiptTimeout
            self.interactive = interactive
            self.timestamps = timestamps
            self.bell = bell
        }
    }

    /// Every command, as `/help` lists them.
    public static let commands: [(usage: String, help: String)] = [
        ("/join ROOM", "enter ROOM (created if new) and talk there"),
        ("/part [ROOM]", "leave ROOM (default: the current one) and go back to the previous"),
        ("/rooms", "list the rooms and how many are in each"),
        ("/who [ROOM]", "who is in ROOM (default: the current one)"),
        ("/msg NAME TEXT", "a private message to every session of NAME"),
        ("/reply TEXT", "a private message to whoever last wrote to you privately"),
        ("/me ACTION", "say an action: * you ACTION"),
        ("/away [REASON]", "mark yourself away (shown in /who and /whois)"),
        ("/back", "you are back"),
        ("/whois NAME", "NAME's key fingerprint, since when connected, rooms"),
        ("/verify [ROOM]", "the room's transcript head: compare it with others"),
        ("/nick", "names come from the server's allow-list and cannot change"),
        ("/help", "this list"),
        ("/quit", "leave (also Ctrl-D)"),
    ]

    /// `commands` as aligned lines: `/join ROOM       enter ROOM ...`.
    public static var helpLines: [String] {
        commands.map { $0.usage.padding(16) + $0.help }
    }

    /// Runs the chat over `session` until the input ends or the user quits.
    public static func run(_ session: GateSession, options: Options) async -> ExitStatus {
        let state = ChatClientState(myName: session.name)
        let editor = options.interactive ? TerminalLineEditor() : nil
        await editor?.start()
        let status = await withTaskGroup(of: ExitStatus?.self) { group -> ExitStatus in
            group.addTask {
                await receive(session, state: state, options: options, editor: editor)
            }
            group.addTask {
                await send(session, state: state, options: options, editor: editor)
            }
            // The first task to finish with a verdict decides; the other is
            // cancelled.
            var verdict: ExitStatus = .success
            for await result in group {
                if let result {
                    verdict = result
                    break
                }
            }
            group.cancelAll()
            return verdict
        }
        await editor?.stop()
        await session.channel.close()
        return status
    }

    /// Prints incoming messages and ticks off receipts. Returns a status
    /// only when the session ends from the server's side.
    private static func receive(
        _ session: GateSession, state: ChatClientState, options: Options, editor: TerminalLineEditor?
    ) async -> ExitStatus? {
        while true {
            let message: [UInt8]
            do {
                guard let received = try await session.channel.receive() else {
                    if await state.saidBye { return .success }
                    Console.shared.err("keygate chat: the server closed the connection")
                    return .failure
                }
                message = received
            } catch is CancellationError {
                return nil
            } catch {
                if Task.isCancelled { return nil }
                Console.shared.err("keygate chat: \(error)")
                return .failure
            }
            let event = try? ChatEvent(parsing: message)
            if options.json {
                Console.shared.out(String(decoding: message, as: UTF8.self))
            } else if let event {
                let line = event.displayLine(timestamps: options.timestamps)
                if let editor {
                    await editor.show(line)
                    if options.bell, await state.calls(for: event) { Console.shared.outRaw("\u{07}") }
                } else {
                    Console.shared.out(line)
                }
            }
            if let event { await state.observe(event) }
        }
    }

    /// What to do after one input line.
    enum LineOutcome {
        case next
        case quit
    }

    /// Reads the user's input and sends requests; at the end of input waits
    /// for the receipts, then says bye.
    private static func send(
        _ session: GateSession, state: ChatClientState, options: Options, editor: TerminalLineEditor?
    ) async -> ExitStatus? {
        do {
            var quit = false
            let output = ChatOutput(editor: editor)
            if let editor {
                // Keystrokes go through the line editor, which echoes them.
                typing: for await chunk in StandardInput.chunks() {
                    for input in await editor.feed(chunk) {
                        guard case let .line(line) = input,
                              try await handle(line, session: session, state: state, output: output) == .next
                        else {
                            quit = input != .endOfInput
                            break typing
                        }
                    }
                }
            } else {
                for await line in StandardInput.lines() {
                    if try await handle(line, session: session, state: state, output: output) == .quit {
                        quit = true
                        break
                    }
                }
            }
            if Task.isCancelled { return nil }
            if !quit {
                guard await state.waitForReceipts(timeout: options.receiptTimeout) else {
                    let missing = await state.missingReceipts
                    Console.shared.err("keygate chat: \(missing) message(s) not confirmed by the server within \(options.receiptTimeout)")
                    return .unreachable
                }
                if options.json && editor == nil {
                    try await printHeads(session, state: state, timeout: options.receiptTimeout)
                }
            }
            return try await sayBye(session, state: state)
        } catch {
            if Task.isCancelled { return nil }
            Console.shared.err("keygate chat: \(error)")
            return .failure
        }
    }

    /// Asks for the transcript head of every room the client is in; the
    /// receiver prints them as they come.
    private static func printHeads(_ session: GateSession, state: ChatClientState, timeout: Duration) async throws {
        let rooms = await state.rooms
        await state.expectHeads(rooms)
        for room in rooms {
            try await session.channel.send(ChatRequest.verify(room: room).json.bytes)
        }
        _ = await state.waitForHeads(timeout: timeout)
    }

    /// Sends what one input line asks for: a command, or a `say` in the
    /// current room.
    static func handle(
        _ line: String, session: GateSession, state: ChatClientState, output: ChatOutput
    ) async throws -> LineOutcome {
        if line.isEmpty { return .next }
        guard line.hasPrefix("/") else {
            try await say(.say(line, room: await state.currentRoom), text: line, session: session, state: state, output: output)
            return .next
        }
        let command = ChatCommandLine(line)
        let current = await state.currentRoom
        switch command.name {
        case "quit", "exit":
            return .quit
        case "help":
            for line in helpLines { await output.notice(line) }
        case "nick":
            await output.notice("names cannot change: yours is \(session.name), the name the server's allow-list gives your key")
        case "join":
            guard let room = command.argument else { await output.notice("usage: /join ROOM"); break }
            switch ChatRoomName.validated(room) {
            case let .failure(problem): await output.notice(problem.description)
            case let .success(name):
                await state.switchTo(name)
                try await session.channel.send(ChatRequest.join(name).json.bytes)
            }
        case "part":
            guard let room = command.argument ?? current else { await output.notice("you are in no room"); break }
            if case let .success(name) = ChatRoomName.validated(room) { await state.leave(name) }
            try await session.channel.send(ChatRequest.part(room).json.bytes)
        case "rooms":
            try await session.channel.send(ChatRequest.rooms.json.bytes)
        case "who":
            try await session.channel.send(ChatRequest.who(room: command.argument ?? current).json.bytes)
        case "verify":
            try await session.channel.send(ChatRequest.verify(room: command.argument ?? current).json.bytes)
        case "msg", "query":
            guard let (name, text) = command.nameAndText else { await output.notice("usage: /msg NAME TEXT"); break }
            try await say(.privateMessage(to: name, text: text), text: text, session: session, state: state, output: output)
        case "reply", "r":
            guard let name = await state.lastPrivateSender else { await output.notice("no private message to reply to yet"); break }
            guard let text = command.argument else { await output.notice("usage: /reply TEXT"); break }
            try await say(.privateMessage(to: name, text: text), text: text, session: session, state: state, output: output)
        case "me":
            guard let text = command.argument else { await output.notice("usage: /me ACTION"); break }
            try await say(.me(text, room: current), text: text, session: session, state: state, output: output)
        case "away":
            try await session.channel.send(ChatRequest.away(command.argument).json.bytes)
        case "back":
            try await session.channel.send(ChatRequest.back.json.bytes)
        case "whois":
            guard let name = command.argument else { await output.notice("usage: /whois NAME"); break }
            try await session.channel.send(ChatRequest.whois(name).json.bytes)
        default:
            await output.notice("unknown command /\(command.name); /help lists the commands")
        }
        return .next
    }

    /// Sends a message that the server confirms with a receipt.
    private static func say(
        _ request: ChatRequest, text: String, session: GateSession, state: ChatClientState, output: ChatOutput
    ) async throws {
        let bytes = request.json.bytes
        guard bytes.count <= KeyGateWire.maximumPlaintextByteCount else {
            await output.notice("line of \(text.utf8.count) bytes is too long to send; skipped")
            return
        }
        await state.expectReceipt(for: text)
        try await session.channel.send(bytes)
    }

    private static func sayBye(_ session: GateSession, state: ChatClientState) async throws -> ExitStatus {
        await state.markBye()
        try await session.channel.send(ChatRequest.bye.json.bytes)
        return .success
    }
}

/// Where the client's own notices go: above the prompt when interactive,
/// to standard error when scripted (standard output is the chat).
struct ChatOutput: Sendable {
    let editor: TerminalLineEditor?

    func notice(_ text: String) async {
        if let editor { await editor.show("* " + text) } else { Console.shared.err(text) }
    }
}

/// One `/command arguments` line, split.
struct ChatCommandLine {
    let name: String
    /// Everything after the command and its space, if not empty.
    let argument: String?

    init(_ line: String) {
        let body = line.dropFirst()
        let space = body.firstIndex(of: " ")
        name = String(body[..<(space ?? body.endIndex)]).lowercased()
        let rest = space.map { body[body.index(after: $0)...].drop { $0 == " " } } ?? ""
        argument = rest.isEmpty ? nil : String(rest)
    }

    /// `NAME TEXT` of `/msg`.
    var nameAndText: (String, String)? {
        guard let argument, let space = argument.firstIndex(of: " ") else { return nil }
        let text = argument[argument.index(after: space)...].drop { $0 == " " }
        return text.isEmpty ? nil : (String(argument[..<space]), String(text))
    }
}

extension String {
    /// The string padded with spaces to at least `width` characters.
    func padding(_ width: Int) -> String {
        count >= width ? self + " " : self + String(repeating: " ", count: width - count)
    }
}
