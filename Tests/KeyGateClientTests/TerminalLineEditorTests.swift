import KeyGateClient
import Synchronization
import Testing

/// The chat's line editor fed keystrokes, its drawing captured.
struct TerminalLineEditorTests {
    final class Screen: Sendable {
        private let text = Mutex("")
        var output: String { text.withLock { $0 } }
        func write(_ string: String) { text.withLock { $0 += string } }
        func clear() { text.withLock { $0 = "" } }
    }

    static func editor() -> (TerminalLineEditor, Screen) {
        let screen = Screen()
        return (TerminalLineEditor(prompt: "> ", write: { screen.write($0) }), screen)
    }

    static let left = Array("\u{1B}[D".utf8), right = Array("\u{1B}[C".utf8)
    static let up = Array("\u{1B}[A".utf8), down = Array("\u{1B}[B".utf8)

    @Test func typedLinesComeOutOnEnter() async {
        let (editor, _) = Self.editor()
        #expect(await editor.feed(Array("hello\rsecond\n".utf8)) == [.line("hello"), .line("second")])
        #expect(await editor.feed(Array("caf\u{E9} \u{1F600}\r".utf8)) == [.line("caf\u{E9} \u{1F600}")], "UTF-8, also split across chunks")
        #expect(await editor.feed([0xc3]) == [])
        #expect(await editor.feed([0xa9, 0x0d]) == [.line("\u{E9}")])
    }

    @Test func theCursorMovesAndTextIsInsertedWhereItIs() async {
        let (editor, _) = Self.editor()
        var keys = Array("helo".utf8) + Self.left + Array("l".utf8)
        keys += [0x01] + Array(">".utf8) + [0x05] + Array("!".utf8)
        #expect(await editor.feed(keys + [0x0d]) == [.line(">hello!")])
        // Backspace and Delete around the cursor; Home and End keys.
        keys = Array("abcd".utf8) + Self.left + Self.left + [0x7f] + Array("\u{1B}[3~".utf8)
        #expect(await editor.feed(keys + Array("\u{1B}[H".utf8) + Array("<".utf8) + Array("\u{1B}[F".utf8) + [0x0d]) == [.line("<ad")])
    }

    @Test func controlUAndControlWErase() async {
        let (editor, _) = Self.editor()
        #expect(await editor.feed(Array("all of this".utf8) + [0x15] + Array("kept".utf8) + [0x0d]) == [.line("kept")])
        #expect(await editor.feed(Array("one two  ".utf8) + [0x17] + Array("three".utf8) + [0x0d]) == [.line("one three")])
    }

    @Test func upAndDownWalkTheHistoryAndKeepTheDraft() async {
        let (editor, _) = Self.editor()
        _ = await editor.feed(Array("first\rsecond\r".utf8))
        _ = await editor.feed(Array("draft".utf8) + Self.up)
        #expect(await editor.editing.text == "second")
        _ = await editor.feed(Self.up + Self.up)
        #expect(await editor.editing.text == "first", "stops at the oldest")
        _ = await editor.feed(Self.down + Self.down)
        #expect(await editor.editing.text == "draft", "below the newest: what was being typed")
        #expect(await editor.feed(Self.up + Array("!".utf8) + [0x0d]) == [.line("second!")])
    }

    @Test func ctrlDEndsOnlyAnEmptyLineAndCtrlCAlways() async {
        let (editor, _) = Self.editor()
        #expect(await editor.feed(Array("x".utf8) + Self.left + [0x04]) == [])
        #expect(await editor.editing.text == "", "Ctrl-D deletes under the cursor")
        #expect(await editor.feed([0x04]) == [.endOfInput])
        #expect(await editor.feed([0x03]) == [.endOfInput])
    }

    /// A message arriving while the user types is printed on its own line
    /// and the prompt with the unfinished line comes back after it.
    @Test func incomingLinesDoNotGarbleWhatIsBeingTyped() async {
        let (editor, screen) = Self.editor()
        _ = await editor.feed(Array("half a sen".utf8) + Self.left + Self.left)
        screen.clear()
        await editor.show("[lobby 1] bob: hi")
        #expect(screen.output == "\r\u{1B}[K[lobby 1] bob: hi\r\n\r\u{1B}[K> half a sen\u{1B}[2D")
        #expect(await editor.editing.cursor == 8)
    }

    @Test func unknownEscapeSequencesAreIgnored() async {
        let (editor, _) = Self.editor()
        #expect(await editor.feed(Array("a\u{1B}[15~b\u{1B}OPc\r".utf8)) == [.line("abc")])
    }
}
