import KeyGateSystem
import KeyGateChannel
import KeyGateChat

/// The `keygate chat` client: sends what the user types, prints what the
/// room says.
///
/// Scripted (stdin not a terminal): every line is a `say` (empty lines are
/// skipped), `/who` and `/quit` are commands; at the end of input the client
/// waits until each of its messages has come back as a receipt, then says
/// bye and exits 0 (5 if the receipts are not all back within the timeout).
public enum ChatClient {
    public struct Options: Sendable {
        /// Print each received JSON message as one line instead of text.
        public var json: Bool
        /// How long to wait for receipts after the end of input.
        public var receiptTimeout: Duration
        /// Use the terminal line editor.
        public var interactive: Bool

        public init(json: Bool = false, receiptTimeout: Duration = .seconds(30), interactive: Bool = false) {
            self.json = json
            self.receiptTimeout = receiptTimeout
            self.interactive = interactive
        }
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
                if let editor { await editor.show(event.displayLine) } else { Console.shared.out(event.displayLine) }
            }
            if let event { await state.observe(event) }
        }
    }

    /// What to do after one input line.
    private enum LineOutcome {
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
            if let editor {
                // Keystrokes go through the line editor, which echoes them.
                typing: for await chunk in StandardInput.chunks() {
                    for input in await editor.feed(chunk) {
                        guard case let .line(line) = input,
                              try await handle(line, session: session, state: state, editor: editor) == .next
                        else {
                            quit = input != .endOfInput
                            break typing
                        }
                    }
                }
            } else {
                for await line in StandardInput.lines() {
                    if try await handle(line, session: session, state: state, editor: nil) == .quit {
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
            }
            return try await sayBye(session, state: state)
        } catch {
            if Task.isCancelled { return nil }
            Console.shared.err("keygate chat: \(error)")
            return .failure
        }
    }

    /// Sends what one input line asks for: a command, or a `say`.
    private static func handle(
        _ line: String, session: GateSession, state: ChatClientState, editor: TerminalLineEditor?
    ) async throws -> LineOutcome {
        if line.isEmpty { return .next }
        if line.hasPrefix("/") {
            switch line {
            case "/quit":
                return .quit
            case "/who":
                try await session.channel.send(ChatRequest.who.json.bytes)
            default:
                let notice = "unknown command \(line); commands: /who, /quit"
                if let editor { await editor.show("! " + notice) } else { Console.shared.err(notice) }
            }
            return .next
        }
        let request = ChatRequest.say(line).json.bytes
        guard request.count <= KeyGateWire.maximumPlaintextByteCount else {
            Console.shared.err("keygate chat: line of \(line.utf8.count) bytes is too long to send; skipped")
            return .next
        }
        await state.expectReceipt(for: line)
        try await session.channel.send(request)
        return .next
    }

    private static func sayBye(_ session: GateSession, state: ChatClientState) async throws -> ExitStatus {
        await state.markBye()
        try await session.channel.send(ChatRequest.bye.json.bytes)
        return .success
    }
}

/// What the chat client remembers: the messages it said that have not come
/// back yet, in order.
actor ChatClientState {
    let myName: String
    private var pending: [String] = []
    private var pendingStart = 0
    /// Opened when the last pending message is confirmed, once someone waits.
    private var allConfirmed: Latch?
    private(set) var saidBye = false

    init(myName: String) {
        self.myName = myName
    }

    func expectReceipt(for text: String) {
        pending.append(text)
    }

    var missingReceipts: Int { pending.count - pendingStart }

    func markBye() {
        saidBye = true
    }

    /// A message from us with the oldest pending text is its receipt; a
    /// "message too long" error answers the oldest pending say.
    func observe(_ event: ChatEvent) {
        guard pendingStart < pending.count else { return }
        switch event {
        case let .message(from, text, _) where from == myName && text == pending[pendingStart]:
            pendingStart += 1
        case .error("message too long"):
            pendingStart += 1
        default:
            return
        }
        if pendingStart == pending.count { allConfirmed?.open() }
    }

    /// Waits until every pending message is confirmed; false on timeout.
    func waitForReceipts(timeout: Duration) async -> Bool {
        if pendingStart == pending.count { return true }
        let latch = Latch()
        allConfirmed = latch
        try? await withDeadline(.now + timeout, while: "waiting for receipts") { await latch.wait() }
        return pendingStart == pending.count
    }
}
