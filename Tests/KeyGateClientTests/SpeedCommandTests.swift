import Foundation
import KeyGateChannel
import Testing

/// `keygate speed` says which code path each primitive takes, and
/// KEYGATE_CPU=portable forces the portable ones.
struct SpeedCommandTests {
    static func paths(_ environment: [String: String]) async throws -> [String: String] {
        let outcome = try await KeygateBinary.run(
            ["speed", "--json", "--seconds", "0.05", "sha256-16k"], environment: environment)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let value = try JSONValue.parse(Array(outcome.stdout.utf8))
        guard case let .object(members)? = value["paths"] else { return [:] }
        return Dictionary(uniqueKeysWithValues: members.compactMap { name, path in path.stringValue.map { (name, $0) } })
    }

    @Test func theJSONNamesEachPrimitivesPath() async throws {
        let paths = try await Self.paths([:])
        #expect(Set(paths.keys) == ["chacha20", "poly1305", "sha256", "x25519", "ffdhe"])
        #expect(paths.values.allSatisfy { !$0.isEmpty })
    }

    @Test func portableIsForcedByTheEnvironment() async throws {
        let paths = try await Self.paths(["KEYGATE_CPU": "portable"])
        #expect(paths.count == 5 && paths.values.allSatisfy { $0 == "portable" }, "\(paths)")
    }
}
