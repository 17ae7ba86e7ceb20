import KeyGateSystem
import Foundation
import Glibc
import KeyGateKeys
import KeyGateTestSupport
import Testing

/// `keygate serve --config`, `--check` and `--print-config` as an operator
/// runs them: the real binary, its exit status and what it prints.
@Suite
struct ServeConfigFileTests {
    /// A key folder (mode 0700) in a fresh temporary folder, with `text`
    /// as its keygate.conf when given.
    static func keyFolder(_ directory: TemporaryDirectory, config text: String? = nil) throws -> String {
        let keys = directory.appending("keys")
        #expect(mkdir(keys, 0o700) == 0)
        if let text {
            try text.write(toFile: keys + "/keygate.conf", atomically: false, encoding: .utf8)
            #expect(chmod(keys + "/keygate.conf", 0o600) == 0)
        }
        return keys
    }

    /// The `key value` lines `--print-config` printed, by key.
    static func settings(_ outcome: KeygateBinary.Outcome) -> [String: String] {
        var settings: [String: String] = [:]
        for line in outcome.lines where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 1)
            settings[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        return settings
    }

    @Test func printConfigShowsEveryOptionWithItsDefault() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory)
        let outcome = try await KeygateBinary.run(["serve", "--keys", keys, "--print-config"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let settings = Self.settings(outcome)
        #expect(settings["keys"] == keys)
        #expect(settings["listen"] == "0.0.0.0:7700")
        #expect(settings["data-ports"] == "7701-7799")
        #expect(settings["ftp-home-per-client"] == "no")
        #expect(settings["handshake-timeout"] == "10")
        #expect(settings["max-key-sessions"] == "5000")
        #expect(settings["trace-handshake"] == "no")
        #expect(outcome.lines.contains("# chat-log not set (history in memory only)"))
        // Every option of the help but the three about the configuration.
        let help = try await KeygateBinary.run(["serve", "--help"]).stdout
        let names = help.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  --") else { return nil }
            return String(line.dropFirst(4).prefix { $0 != " " && $0 != "[" })
        }
        for name in names where !["config", "check", "print-config", "help"].contains(name) {
            #expect(outcome.lines.contains { $0.hasPrefix("\(name) ") || $0.hasPrefix("# \(name) ") }, "\(name)")
        }
    }

    @Test func everyKeyOfTheFileIsTheOptionOfTheSameName() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let chatLog = directory.appending("chat.jsonl"), keyLog = directory.appending("lab.keylog")
        let values: KeyValuePairs<String, String> = [
            "name": "gate", "listen": "127.0.0.1:7801", "data-ports": "23000-23009", "services": "chat",
            "chat-history": "7", "chat-log": chatLog, "chat-rate": "3", "chat-burst": "4",
            "ftp-root": directory.appending("ftp root"), "ftp-home-per-client": "yes", "ftp-umask": "027",
            "suites": "Noise_XX_25519_ChaChaPoly_SHA256", "handshake-timeout": "500ms", "max-handshakes": "9",
            "max-sessions": "20", "max-key-sessions": "3", "max-key-data-ports": "4", "max-source-handshakes": "5",
            "source-handshake-rate": "6", "source-handshake-burst": "7", "max-source-grants": "8",
            "keylog": keyLog, "lab-fixed-ephemeral": "42", "keepalive": "0", "clock-skew": "2s",
            "trace-handshake": "explain", "trace-file": directory.appending("trace.jsonl"), "log-level": "debug",
        ]
        let text = "# every key\n\n" + values.map { "\($0.key)  \($0.value)" }.joined(separator: "\n") + "\n"
        let keys = try Self.keyFolder(directory, config: text)
        let outcome = try await KeygateBinary.run(
            ["serve", "--keys", keys, "--print-config"], environment: ["KEYGATE_LAB": "1"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let settings = Self.settings(outcome)
        for (key, value) in values {
            #expect(settings[key] == value, "\(key)")
        }
        #expect(outcome.lines.first == "# effective configuration: command line, then \(keys)/keygate.conf, then defaults")
        // Printing opened nothing.
        #expect(!FileManager.default.fileExists(atPath: keyLog))
    }

    @Test func theCommandLineWinsOverTheFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let file = directory.appending("gate.conf")
        try "listen 127.0.0.1:7801\nchat-rate 3\nftp-home-per-client yes\n".write(toFile: file, atomically: false, encoding: .utf8)
        let outcome = try await KeygateBinary.run([
            "serve", "--keys", directory.appending("keys"), "--config", file, "--listen", "127.0.0.1:7802", "--print-config",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let settings = Self.settings(outcome)
        #expect(settings["listen"] == "127.0.0.1:7802")
        #expect(settings["chat-rate"] == "3")
        #expect(settings["ftp-home-per-client"] == "yes")
    }

    @Test func aFileNotGivenIsNotRequired() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let missing = try await KeygateBinary.run(
            ["serve", "--keys", directory.appending("keys"), "--config", directory.appending("none.conf"), "--print-config"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("\(directory.appending("none.conf")): no such file"))
    }

    /// Every kind of bad line, each reported at its line with what is
    /// allowed, all of them in one run.
    @Test func everyBadLineIsReportedWithItsLine() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let lines = [
            "# comment", "bogus 1", "--listen 127.0.0.1:1", "chat-rate", "ftp-home-per-client maybe", "chat-rate x",
            "handshake-timeout 2 minutes", "keepalive -1", "listen nowhere:port", "data-ports 9-1", "services chat,mail",
            "ftp-umask 999", "suites Noise_NN_25519_ChaChaPoly_SHA256", "log-level loud", "trace-handshake loud",
            "max-key-data-ports 70000", "name ../x", "chat-burst 2", "chat-burst 3", "config other.conf", "check yes",
        ]
        let keys = try Self.keyFolder(directory, config: lines.joined(separator: "\n") + "\n")
        let file = keys + "/keygate.conf"
        let expected = [
            "\(file):2: unknown key 'bogus'; allowed: keys, name, listen,",
            "\(file):3: unknown key '--listen' (keys are written without --)",
            "\(file):4: 'chat-rate' has no value; write 'key value'",
            "\(file):5: ftp-home-per-client must be yes or no, got 'maybe'",
            "\(file):6: chat-rate must be a whole number in 0...1000000, got 'x'",
            "\(file):7: handshake-timeout must be a positive number of seconds (2, 2s, 1.5 or 500ms), got '2 minutes'",
            "\(file):8: keepalive must be a number of seconds >= 0",
            "\(file):9: listen: ",
            "\(file):10: data-ports must be LO-HI",
            "\(file):11: services: unknown service 'mail'; available: chat, ftp",
            "\(file):12: ftp-umask: ",
            "\(file):13: suites: unknown suite 'Noise_NN_25519_ChaChaPoly_SHA256'; known: ",
            "\(file):14: log-level must be debug, info, warning or error, got 'loud'",
            "\(file):15: trace-handshake takes no value or =explain, got 'loud'",
            "\(file):16: max-key-data-ports must be a whole number in 1...65535, got '70000'",
            "\(file):17: name: ",
            "\(file):19: 'chat-burst' set again (first at line 18); keep one line",
            "\(file):20: unknown key 'config'",
            "\(file):21: unknown key 'check'",
        ]
        let checked = try await KeygateBinary.run(["serve", "--keys", keys, "--check"])
        #expect(checked.status == 1)
        let reported = checked.stderr.split(separator: "\n").map(String.init)
        for (index, prefix) in expected.enumerated() {
            #expect(reported.indices.contains(index) && reported[index].hasPrefix(prefix), "\(prefix)\n\(checked.stderr)")
        }
        #expect(reported.last == "keygate serve --check: \(expected.count) problems found")
        // Serving refuses the same file with exit 1, naming every problem.
        let served = try await KeygateBinary.run(["serve", "--keys", keys, "--listen", "127.0.0.1:0"])
        #expect(served.status == 1)
        #expect(served.stderr.contains("\(expected.count) problems in the configuration"))
        #expect(served.stderr.contains("\(file):6: chat-rate must be a whole number"))
    }

    @Test func logFormatJSONWritesOneObjectPerLine() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory, config: "log-format json\nservices chat\nsuites Noise_XX_25519_ChaChaPoly_SHA256\n")
        let (process, stderr) = try KeygateBinary.start(["serve", "--keys", keys, "--listen", "127.0.0.1:0", "--data-ports", "23190-23199"])
        let line = try #require(await KeygateBinary.firstLine(containing: #""event":"listening""#, in: stderr))
        process.terminate()
        await KeygateBinary.waitForExit(process)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object["level"] == "info")
        #expect(object["control"]?.hasPrefix("127.0.0.1:") == true)
        #expect(object["data_ports"] == "23190-23199")
        #expect(process.terminationStatus == 0)
    }

    @Test func crlfLinesAreReadAndControlCharactersAreReported() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory, config: "chat-rate 3\r\n\r\n# dos\r\nname gate\u{0}x\r\nchat-burst 9\r\n")
        let outcome = try await KeygateBinary.run(["serve", "--keys", keys, "--print-config"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("\(keys)/keygate.conf:4: control character U+0 in 'name'; write plain text"), "\(outcome.stderr)")
        try ServeProcess.writeConfig("chat-rate 3\r\nchat-burst 9\r\n", in: keys)
        let settings = Self.settings(try await KeygateBinary.run(["serve", "--keys", keys, "--print-config"]))
        #expect(settings["chat-rate"] == "3" && settings["chat-burst"] == "9")
    }

    @Test func aConfigurationThatIsNoRegularFileOrTooLargeIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory)
        #expect(mkdir(keys + "/keygate.conf", 0o700) == 0)
        let folder = try await KeygateBinary.run(["serve", "--keys", keys, "--check"])
        #expect(folder.status == 1)
        #expect(folder.stderr.contains("\(keys)/keygate.conf"), "\(folder.stderr)")
        let large = directory.appending("large.conf")
        try String(repeating: "# filler line\n", count: 400_000).write(toFile: large, atomically: true, encoding: .utf8)
        let huge = try await KeygateBinary.run(["serve", "--keys", keys, "--config", large, "--print-config"])
        #expect(huge.status == 1)
        #expect(huge.stderr.contains(large), "\(huge.stderr)")
    }

    @Test func aBadValueOnTheCommandLineIsStillAUsageError() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory, config: "chat-rate 3\n")
        let outcome = try await KeygateBinary.run(["serve", "--keys", keys, "--chat-rate", "x", "--print-config"])
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains("--chat-rate must be a whole number"))
    }

    @Test func aFileOthersCanWriteIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory, config: "chat-rate 3\n")
        #expect(chmod(keys + "/keygate.conf", 0o666) == 0)
        let outcome = try await KeygateBinary.run(["serve", "--keys", keys, "--check"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("chmod go-w \(keys)/keygate.conf"))
    }

    @Test func checkPassesOnAGoodSetupAndListsEveryKeyFileProblem() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = try Self.keyFolder(directory, config: "services chat\nsuites Noise_XX_25519_ChaChaPoly_SHA256\n")
        let store = KeyStore(directory: keys)
        let identity = try await onFileThread { try store.createIdentity(name: "server", algorithm: .x25519) }
        let list = AuthorizedKeys(path: store.authorizedKeysPath)
        _ = try await onFileThread { try list.createIfMissing() }
        let good = try await KeygateBinary.run(["serve", "--keys", keys, "--check"])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("no problem found"))
        // A private key others can read and a broken allow-list line: both.
        #expect(chmod(identity.privateKeyPath, 0o644) == 0)
        let handle = try #require(FileHandle(forWritingAtPath: list.path))
        handle.seekToEndOfFile()
        handle.write(Data("ssh-rsa AAAA broken\n".utf8))
        try handle.close()
        let bad = try await KeygateBinary.run(["serve", "--keys", keys, "--check"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("chmod 600 \(identity.privateKeyPath)"), "\(bad.stderr)")
        #expect(bad.stderr.contains("\(list.path):"), "\(bad.stderr)")
        #expect(bad.stderr.contains("2 problems found"), "\(bad.stderr)")
        // Checking changed nothing.
        #expect(!FileManager.default.fileExists(atPath: keys + "/server-ffdhe2048.key"))
    }
}
