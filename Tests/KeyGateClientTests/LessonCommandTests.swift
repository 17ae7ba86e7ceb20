import KeyGateChannel
import Testing

/// `keygate lesson dh` as users run it.
struct LessonCommandTests {
    @Test func theWorksheetIsJSONWithAgreeingSecrets() async throws {
        let outcome = try await KeygateBinary.run(["lesson", "dh", "--json", "--rounds", "1", "--p", "97", "--g", "5", "--a", "36", "--b", "58"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let json = try JSONValue.parse(Array(outcome.stdout.utf8))
        // The powers, by repeated multiplication.
        var alice = 1, bob = 1
        for _ in 0..<36 { alice = alice * 5 % 97 }
        for _ in 0..<58 { bob = bob * 5 % 97 }
        var shared = 1
        for _ in 0..<36 { shared = shared * bob % 97 }
        #expect(json["small"]?["A"]?["result"]?.intValue == alice)
        #expect(json["small"]?["B"]?["result"]?.intValue == bob)
        #expect(json["small"]?["bob_shared"]?["result"]?.intValue == shared)
        for group in json["groups"]?.arrayValue ?? [] {
            #expect(group["alice_shared"] == group["bob_shared"])
        }
    }

    @Test func theTextShowsTheTextbookExchange() async throws {
        let outcome = try await KeygateBinary.run(["lesson", "dh", "--rounds", "1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.lines.contains("   A = 8; Alice sends A to Bob."))
        #expect(outcome.stdout.contains("ffdhe2048") && outcome.stdout.contains("X25519"))
    }

    @Test(arguments: [["lesson"], ["lesson", "rsa"], ["lesson", "dh", "--p", "24"], ["lesson", "dh", "--a", "x"], ["lesson", "dh", "--rounds", "0"]])
    func badArgumentsAreUsageErrors(arguments: [String]) async throws {
        let outcome = try await KeygateBinary.run(arguments)
        #expect(outcome.status == 2, "\(outcome.stdout)")
        #expect(outcome.stderr.contains("keygate lesson:"))
    }

    @Test func helpNamesTheLesson() async throws {
        let outcome = try await KeygateBinary.run(["lesson", "--help"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("Usage: keygate lesson dh"))
    }
}
