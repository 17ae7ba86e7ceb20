import KeyGateSystem
import Testing

/// Where the host of `HOST[:PORT]` ends, for every way it is written.
struct HostPortTextTests {
    @Test(arguments: [
        ("example.org:7700", "example.org", "7700", false),
        ("1.2.3.4", "1.2.3.4", nil, false),
        ("[::1]:7700", "::1", "7700", true),
        ("[::1]", "::1", nil, true),
        ("::1", "::1", nil, false),
        ("fe80::1:7700", "fe80::1:7700", nil, false),
        ("host:", "host", "", false),
        (":7700", "", "7700", false),
    ] as [(String, String, String?, Bool)])
    func splits(text: String, host: String, port: String?, bracketed: Bool) throws {
        let parts = try HostPortText(Substring(text))
        #expect(parts.host == host)
        #expect(parts.port.map(String.init) == port)
        #expect(parts.bracketed == bracketed)
    }

    @Test func bracketsMustCloseAndOnlyAPortMayFollow() {
        #expect(throws: HostPortText.Problem.missingClosingBracket) { try HostPortText("[::1") }
        #expect(throws: HostPortText.Problem.textAfterClosingBracket) { try HostPortText("[::1]7700") }
    }
}
