import KeyGateTestSupport
import Testing

/// `--lab-fixed-ephemeral` on the command line: refused without KEYGATE_LAB=1.
struct LabFixedEphemeralCommandTests {
    @Test(arguments: [["chat", "127.0.0.1:1"], ["ftp", "127.0.0.1:1", "ls"], ["serve", "--listen", "127.0.0.1:0"]])
    func itIsRefusedWithoutTheLabVariable(command: [String]) async throws {
        let outcome = try await KeygateBinary.run(command + ["--lab-fixed-ephemeral", "7"], environment: ["KEYGATE_LAB": "0"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("refused unless KEYGATE_LAB=1 is set"), "\(outcome.stderr)")
    }

    @Test func theSeedMustBeADecimalInteger() async throws {
        let outcome = try await KeygateBinary.run(["chat", "127.0.0.1:1", "--lab-fixed-ephemeral", "0x10"], environment: ["KEYGATE_LAB": "1"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--lab-fixed-ephemeral must be a decimal integer"))
    }

    @Test func withTheVariableItWarnsAtStart() async throws {
        // Nothing listens on port 1: the client warns, then fails to connect (5).
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await KeygateBinary.run(
            ["chat", "127.0.0.1:1", "--keys", directory.appending("keys"), "--lab-fixed-ephemeral", "7", "--timeout", "2"],
            environment: ["KEYGATE_LAB": "1"])
        #expect(outcome.stderr.contains("WARNING: --lab-fixed-ephemeral 7: lab fixed ephemeral keys"), "\(outcome.stderr)")
        #expect(outcome.status == 5)
    }
}
