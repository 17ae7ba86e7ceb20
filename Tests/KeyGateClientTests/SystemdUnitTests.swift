import Foundation
import KeyGateTestSupport
import Testing

/// contrib/systemd/keygate.service: what it must say, its command lines
/// run against the real binary, and `systemd-analyze verify` where installed.
struct SystemdUnitTests {
    static let unitPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("contrib/systemd/keygate.service").path

    static func settings() throws -> [(String, String)] {
        try String(contentsOfFile: unitPath, encoding: .utf8).split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    @Test func theUnitIsANotifyServiceWithReloadAndHardening() throws {
        let settings = try Self.settings()
        let required = [
            ("Type", "notify"), ("ExecReload", "/bin/kill -HUP $MAINPID"), ("DynamicUser", "yes"),
            ("StateDirectory", "keygate"), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
            ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""),
        ]
        for (key, value) in required {
            #expect(settings.contains { $0 == (key, value) }, "\(key)=\(value)")
        }
    }

    /// The unit's keygate command lines, with the state folder in a
    /// temporary one, are accepted by the binary.
    @Test func itsCommandLinesAreValid() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        for (key, command) in try Self.settings() where key == "ExecStart" || key == "ExecStartPre" {
            let words = command.replacingOccurrences(of: "/var/lib/keygate", with: directory.path)
                .split(separator: " ").map(String.init)
            #expect(words.first == "/usr/local/bin/keygate")
            let arguments = Array(words.dropFirst()) + (words.contains("--check") ? [] : ["--print-config"])
            let outcome = try await KeygateBinary.run(arguments)
            #expect(outcome.status == 0, "\(command): \(outcome.stderr)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func systemdAnalyzeVerifiesIt() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let unit = directory.appending("keygate.service")
        try String(contentsOfFile: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/keygate", with: KeygateBinary.executable.path)
            .write(toFile: unit, atomically: true, encoding: .utf8)
        let (status, out, err) = try await FTPProxyCommandTests.run("systemd-analyze", ["verify", unit], in: directory.path)
        #expect(status == 0, "\(out)\(err)")
        #expect(!err.contains("keygate.service:"), "\(err)")
    }
}
