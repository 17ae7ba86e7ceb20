import KeyGateSystem
import KeyGateChat
import Testing

/// Chat text on a terminal: what could rewrite a line or hide a character
/// is shown as an escape, never dropped; ordinary text is untouched.
struct VisibleTextTests {
    @Test(arguments: [
        ("\u{1B}[2K\u{1B}[1Gbob: fake", "<U+001B>[2K<U+001B>[1Gbob: fake"),  // erase the line, rewrite it
        ("one\ntwo\r", "one<U+000A>two<U+000D>"),
        ("tab\there", "tab<U+0009>here"),
        ("del\u{7F}", "del<U+007F>"),
        ("c1\u{9B}31m", "c1<U+009B>31m"),  // the 8-bit CSI
        ("admin\u{202E}gpj.exe", "admin<U+202E>gpj.exe"),  // right-to-left override
        ("\u{2066}isolate\u{2069}", "<U+2066>isolate<U+2069>"),
        ("\u{202A}\u{202B}\u{202C}\u{202D}", "<U+202A><U+202B><U+202C><U+202D>"),
        ("al\u{200B}ice", "al<U+200B>ice"),  // zero-width space: a look-alike name
        ("\u{200E}\u{200F}\u{061C}", "<U+200E><U+200F><U+061C>"),  // direction marks
        ("\u{FEFF}bom", "<U+FEFF>bom"),
        ("sep\u{2028}arator", "sep<U+2028>arator"),
        ("tag\u{E0041}", "tag<U+E0041>"),
        ("soft\u{AD}hyphen", "soft<U+00AD>hyphen"),
    ])
    func hiddenAndControlCharactersBecomeVisible(text: String, shown: String) {
        #expect(VisibleText.escaping(text) == shown)
    }

    @Test(arguments: ["hello, world", "naïve café", "日本語", "שלום", "👍", "👨‍👩‍👧", "👩🏽‍💻", "a\u{0301}", ""])
    func ordinaryTextIsUnchanged(text: String) {
        #expect(VisibleText.escaping(text) == text)
    }

    @Test func aZeroWidthJoinerOutsideEmojiIsShown() {
        #expect(VisibleText.escaping("al\u{200D}ice") == "al<U+200D>ice")
    }

    @Test func namesAndTextsOfEveryEventAreShownSafely() {
        #expect(ChatEventTests.message(from: "mal\u{202E}lory", text: "\u{1B}]0;pwned\u{7}", seq: 3).displayLine
            == "[lobby 3] mal<U+202E>lory: <U+001B>]0;pwned<U+0007>")
        #expect(ChatEvent.joined("bo\u{200B}b").displayLine == "* bo<U+200B>b joined lobby")
        #expect(ChatEvent.left("\u{9B}x").displayLine == "* <U+009B>x left lobby")
        #expect(ChatEvent.who(["a", "b\u{2066}"]).displayLine == "* in lobby: a, b<U+2066>")
        #expect(ChatEvent.privateMessage(from: "e\u{202E}ve", to: "b", text: "\u{1B}[2J", time: "").displayLine
            == "[e<U+202E>ve -> b] <U+001B>[2J")
        #expect(ChatEvent.who(["a"], away: ["a": "\u{7}"]).displayLine == "* in lobby: a (away: <U+0007>)")
        #expect(ChatEvent.error("bad\rline").displayLine == "! bad<U+000D>line")
    }

    /// `--json` output keeps the exact text: the JSON itself escapes what
    /// it must.
    @Test func jsonKeepsTheExactText() throws {
        let bytes = ChatEventTests.message(from: "alice", text: "x\u{202E}y", seq: 1).json.bytes
        #expect(try ChatEvent(parsing: bytes) == ChatEventTests.message(from: "alice", text: "x\u{202E}y", seq: 1))
    }
}
