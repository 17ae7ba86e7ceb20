import KeyGateSystem
import Glibc

/// A minimal line editor for interactive chat: the terminal in raw mode, a
/// prompt with the line being typed, and incoming lines printed above it so
/// they never garble what the user is typing.
public actor TerminalLineEditor {
    private let prompt: String
    private var buffer: [Unicode.Scalar] = []
    private var original = termios()
    private var isRaw = false
    private var pendingEscape: [UInt8] = []
    private var pendingUTF8: [UInt8] = []

    /// Where the editor draws: the terminal, through the console.
    private let write: @Sendable (String) -> Void

    public init(prompt: String = "> ", write: @escaping @Sendable (String) -> Void = { Console.shared.outRaw($0) }) {
        self.prompt = prompt
        self.write = write
    }

    /// What a chunk of keystrokes produced.
    public enum Input: Sendable, Equatable {
        case line(String)
        case endOfInput
    }

    /// Switches the terminal to raw mode (no echo, no line buffering, no
    /// signals from Ctrl-C: the editor handles it) and draws the prompt.
    public func start() {
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        isRaw = tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0
        redraw()
    }

    /// Restores the terminal as it was.
    public func stop() {
        guard isRaw else { return }
        write("\r\u{1B}[K")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        isRaw = false
    }

    /// Prints `line` above the prompt and redraws what is being typed.
    public func show(_ line: String) {
        write("\r\u{1B}[K" + line + "\r\n")
        redraw()
    }

    /// Feeds keystrokes; returns the lines completed (and `.endOfInput` for
    /// Ctrl-C, or Ctrl-D on an empty line).
    ///
    /// Editing keys: Left/Right move, Up/Down walk the lines entered
    /// before, Home/Ctrl-A and End/Ctrl-E jump, Backspace and Delete erase,
    /// Ctrl-U erases the line, Ctrl-W the word before the cursor.
    public func feed(_ bytes: [UInt8]) -> [Input] {
        var results: [Input] = []
        for byte in bytes {
            if !pendingEscape.isEmpty || byte == 0x1b {
                pendingEscape.append(byte)
                let complete = pendingEscape.count > 1 && (0x40...0x7e).contains(byte)
                    && !(pendingEscape.count == 2 && (byte == UInt8(ascii: "[") || byte == UInt8(ascii: "O")))
                if complete {
                    let sequence = pendingEscape
                    pendingEscape.removeAll()
                    apply(escape: sequence)
                }
                if pendingEscape.count > 16 { pendingEscape.removeAll() }
                continue
            }
            switch byte {
            case 0x0d, 0x0a:
                let line = String(String.UnicodeScalarView(buffer))
                remember(line)
                buffer.removeAll()
                cursor = 0
                write("\r\u{1B}[K")
                results.append(.line(line))
                redraw()
            case 0x03:
                results.append(.endOfInput)
            case 0x04:
                if buffer.isEmpty { results.append(.endOfInput) } else { edit { self.deleteForward() } }
            case 0x01:
                edit { self.cursor = 0 }
            case 0x05:
                edit { self.cursor = self.buffer.count }
            case 0x7f, 0x08:
                edit { self.deleteBackward() }
            case 0x15:
                edit { self.buffer.removeAll(); self.cursor = 0 }
            case 0x17:
                edit { self.deleteWordBackward() }
            case 0x00..<0x20:
                continue
            default:
                pendingUTF8.append(byte)
                if let text = String(validating: pendingUTF8, as: UTF8.self) {
                    buffer.insert(contentsOf: text.unicodeScalars, at: cursor)
                    cursor += text.unicodeScalars.count
                    pendingUTF8.removeAll()
                    redraw()
                } else if pendingUTF8.count >= 4 {
                    pendingUTF8.removeAll()
                }
            }
        }
        return results
    }

    /// The line being typed and the cursor within it, for tests.
    public var editing: (text: String, cursor: Int) {
        (String(String.UnicodeScalarView(buffer)), cursor)
    }

    /// The lines entered, oldest first, at most `historyLimit`.
    private var history: [String] = []
    /// Where Up/Down is in `history` (history.count: the new line).
    private var historyIndex = 0
    /// What was being typed before Up was pressed.
    private var draft: [Unicode.Scalar] = []
    private var cursor = 0
    static let historyLimit = 500

    private func remember(_ line: String) {
        if !line.isEmpty && history.last != line {
            history.append(line)
            if history.count > Self.historyLimit { history.removeFirst() }
        }
        historyIndex = history.count
        draft.removeAll()
    }

    private func apply(escape sequence: [UInt8]) {
        // CSI or SS3 sequences: ESC [ A, ESC O A, ESC [ 3 ~ and the like.
        let text = String(decoding: sequence.dropFirst(), as: UTF8.self)
        switch text {
        case "[A", "OA": recall(-1)
        case "[B", "OB": recall(+1)
        case "[C", "OC": edit { self.cursor = min(self.buffer.count, self.cursor + 1) }
        case "[D", "OD": edit { self.cursor = max(0, self.cursor - 1) }
        case "[H", "OH", "[1~", "[7~": edit { self.cursor = 0 }
        case "[F", "OF", "[4~", "[8~": edit { self.cursor = self.buffer.count }
        case "[3~": edit { self.deleteForward() }
        default: break
        }
    }

    /// Up (-1) and Down (+1) through the lines entered before.
    private func recall(_ step: Int) {
        let target = historyIndex + step
        guard target >= 0, target <= history.count else { return }
        if historyIndex == history.count { draft = buffer }
        historyIndex = target
        buffer = target == history.count ? draft : Array(history[target].unicodeScalars)
        cursor = buffer.count
        redraw()
    }

    private func edit(_ change: () -> Void) {
        change()
        redraw()
    }

    private func deleteBackward() {
        guard cursor > 0 else { return }
        buffer.remove(at: cursor - 1)
        cursor -= 1
    }

    private func deleteForward() {
        guard cursor < buffer.count else { return }
        buffer.remove(at: cursor)
    }

    private func deleteWordBackward() {
        var start = cursor
        while start > 0 && buffer[start - 1] == " " { start -= 1 }
        while start > 0 && buffer[start - 1] != " " { start -= 1 }
        buffer.removeSubrange(start..<cursor)
        cursor = start
    }

    private func redraw() {
        let line = String(String.UnicodeScalarView(buffer))
        let after = buffer.count - cursor
        // The cursor goes back over what follows it on the line.
        write("\r\u{1B}[K" + prompt + line + (after > 0 ? "\u{1B}[\(after)D" : ""))
    }
}
