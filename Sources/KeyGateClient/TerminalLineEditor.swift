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

    public init(prompt: String = "> ") {
        self.prompt = prompt
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
        Console.shared.outRaw("\r\u{1B}[K")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
        isRaw = false
    }

    /// Prints `line` above the prompt and redraws what is being typed.
    public func show(_ line: String) {
        Console.shared.outRaw("\r\u{1B}[K" + line + "\r\n")
        redraw()
    }

    /// Feeds keystrokes; returns the lines completed (and `.endOfInput` for
    /// Ctrl-C, or Ctrl-D on an empty line).
    public func feed(_ bytes: [UInt8]) -> [Input] {
        var results: [Input] = []
        for byte in bytes {
            if !pendingEscape.isEmpty || byte == 0x1b {
                // Skip escape sequences (arrow keys and the like).
                pendingEscape.append(byte)
                if pendingEscape.count > 1 && (0x40...0x7e).contains(byte) && !(pendingEscape.count == 2 && byte == UInt8(ascii: "[")) {
                    pendingEscape.removeAll()
                }
                if pendingEscape.count > 16 { pendingEscape.removeAll() }
                continue
            }
            switch byte {
            case 0x0d, 0x0a:
                let line = String(String.UnicodeScalarView(buffer))
                buffer.removeAll()
                Console.shared.outRaw("\r\u{1B}[K")
                results.append(.line(line))
                redraw()
            case 0x03:
                results.append(.endOfInput)
            case 0x04:
                if buffer.isEmpty { results.append(.endOfInput) }
            case 0x7f, 0x08:
                if !buffer.isEmpty {
                    buffer.removeLast()
                    redraw()
                }
            case 0x15:
                buffer.removeAll()
                redraw()
            case 0x00..<0x20:
                continue
            default:
                pendingUTF8.append(byte)
                if let text = String(validating: pendingUTF8, as: UTF8.self) {
                    buffer.append(contentsOf: text.unicodeScalars)
                    pendingUTF8.removeAll()
                    redraw()
                } else if pendingUTF8.count >= 4 {
                    pendingUTF8.removeAll()
                }
            }
        }
        return results
    }

    private func redraw() {
        Console.shared.outRaw("\r\u{1B}[K" + prompt + String(String.UnicodeScalarView(buffer)))
    }
}
