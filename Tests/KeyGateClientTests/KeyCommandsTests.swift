import Foundation
import Glibc
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSystem
import KeyGateTestSupport
import Testing

/// `keygate allow` with key options, `revoke`, `invite` and `keys`: the
/// real binary, its output and exit statuses, the files it writes.
@Suite(.exclusiveNetwork)
struct KeyCommandsTests {
    /// A client key pair made with `keygate keygen` in `directory`/NAME.
    static func keygen(_ name: String, in directory: TemporaryDirectory) async throws -> String {
        let folder = directory.appending(name)
        let outcome = try await KeygateBinary.run(["keygen", "--keys", folder, "--name", name])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return folder + "/\(name).pub"
    }

    static func allowListLines(_ folder: String) throws -> [String] {
        try String(contentsOfFile: folder + "/authorized_keys", encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") }
    }

    @Test func allowWritesEveryKeyOptionOnTheKeysLine() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pub = try await Self.keygen("carol", in: directory)
        let server = directory.appending("server")
        let outcome = try await KeygateBinary.run([
            "allow", pub, "--keys", server, "--services", "ftp", "--read-only", "--ftp-root", "projects/alpha",
            "--from", "10.0.0.0/8,::1", "--expires", "20271231Z",
        ])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("Allowed carol with from="))
        let lines = try Self.allowListLines(server)
        #expect(lines.count == 1)
        #expect(lines[0].hasPrefix(
            #"from="10.0.0.0/8,::1",services="ftp",ftp="read-only",ftp-root="projects/alpha",expiry-time="20271231Z" x25519 "#))
        #expect(lines[0].hasSuffix(" carol"))
        let list = AuthorizedKeys(path: server + "/authorized_keys")
        #expect(list.warnings.isEmpty)
        #expect(list.entries.first?.options.ftpRoot == "projects/alpha")
    }

    @Test func allowTakesADurationForExpiresAndWritesItInUTC() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pub = try await Self.keygen("dave", in: directory)
        let server = directory.appending("server")
        let before = Int64(time(nil))
        let outcome = try await KeygateBinary.run(["allow", pub, "--keys", server, "--expires", "12h"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let expiry = try #require(AuthorizedKeys(path: server + "/authorized_keys").entries.first?.options.expiry)
        #expect(expiry.text.hasSuffix("Z"))
        #expect(abs(expiry.secondsSince1970 - (before + 12 * 3600)) <= 5)
    }

    @Test(arguments: [
        (["--from", "10.0.0.1/8"], "--from '10.0.0.1/8'"),
        (["--from", "example.com"], "is not an IP address or CIDR range"),
        (["--services", "chat,,ftp"], "expected service names"),
        (["--ftp-root", "../elsewhere"], "it contains '..'"),
        (["--ftp-root", "/etc"], "not absolute"),
        (["--expires", "20270231"], "is not a time or a duration"),
        (["--expires", "0d"], "is not a time or a duration"),
        (["--expires", "12y"], "is not a time or a duration"),
    ])
    func allowRefusesBadOptionValuesAndWritesNothing(extra: [String], message: String) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let pub = try await Self.keygen("erin", in: directory)
        let server = directory.appending("server")
        let outcome = try await KeygateBinary.run(["allow", pub, "--keys", server] + extra)
        #expect(outcome.status == 2)
        #expect(outcome.stderr.contains(message), "\(outcome.stderr)")
        #expect(!FileManager.default.fileExists(atPath: server + "/authorized_keys"))
    }

    @Test func revokeByNameFingerprintOrFileMovesTheLineAndSaysWhatItDid() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = directory.appending("server")
        var publicFiles: [String: String] = [:]
        for name in ["alice", "bob", "carol"] {
            let pub = try await Self.keygen(name, in: directory)
            publicFiles[name] = pub
            #expect(try await KeygateBinary.run(["allow", pub, "--keys", server, "--services", "chat"]).status == 0)
        }
        let bobKey = try KeyStore.loadPublicKey(path: publicFiles["bob"]!).0
        let byName = try await KeygateBinary.run(["revoke", "alice", "--keys", server])
        #expect(byName.status == 0)
        #expect(byName.stdout.hasPrefix("Revoked alice: "))
        let byFingerprint = try await KeygateBinary.run(["revoke", bobKey.fingerprint, "--keys", server])
        #expect(byFingerprint.status == 0, "\(byFingerprint.stderr)")
        let byFile = try await KeygateBinary.run(["revoke", publicFiles["carol"]!, "--keys", server])
        #expect(byFile.status == 0, "\(byFile.stderr)")
        #expect(try Self.allowListLines(server).isEmpty)
        let list = AuthorizedKeys(path: server + "/authorized_keys")
        #expect(list.revokedEntries.map(\.name) == ["alice", "bob", "carol"])
        #expect(list.revokedEntries.allSatisfy { $0.options.services == ["chat"] })
        let again = try await KeygateBinary.run(["revoke", "alice", "--keys", server])
        #expect(again.status == 0)
        #expect(again.stdout.hasPrefix("Already revoked: alice"))
        #expect(list.revokedEntries.count == 3)
        let nobody = try await KeygateBinary.run(["revoke", "zoe", "--keys", server])
        #expect(nobody.status == 1)
        #expect(nobody.stderr.contains("no key in"))
        let privateKey = try await KeygateBinary.run(["revoke", directory.appending("bob/bob.key"), "--keys", server])
        #expect(privateKey.status == 2)
        #expect(privateKey.stderr.contains("is a private key"))
        let badName = try await KeygateBinary.run(["revoke", "two words", "--keys", server])
        #expect(badName.status == 2)
    }

    @Test func revokeEndsTheRunningSessionOfTheKeyWithinASecond() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let options = try await server.client("erin")
        let running = try await GateClient.connect(options)
        try await running.channel.send(ChatRequest.say("before").json.bytes)
        #expect(try await running.channel.receive() == ChatEvent.joined("erin").json.bytes)
        let revokedAt = ContinuousClock.now
        let outcome = try await KeygateBinary.run(["revoke", "erin", "--keys", server.keys.directory])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        while let _ = try? await running.channel.receive() {}
        #expect(ContinuousClock.now - revokedAt < .seconds(2))
        #expect(await eventually { !server.logLines(containing: "sessions closed: key revoked").isEmpty })
        await server.stopAndRemove()
    }

    @Test func anInvitedClientEnrolsWithChatAndTheKeyListShowsItWithItsLastLogin() async throws {
        let directory = TemporaryDirectory()
        let serverKeys = directory.appending("server-keys")
        let server = try await TestServer.start(services: [ChatService(log: .silent)], directory: directory) {
            $0.lastSeenPath = serverKeys + "/last_seen"
        }
        let invite = try await KeygateBinary.run([
            "invite", "--keys", serverKeys, "--name", "bob", "--services", "chat", "--expires", "1h",
            "--server", "127.0.0.1:\(server.port)",
        ])
        #expect(invite.status == 0, "\(invite.stderr)")
        let token = try #require(invite.lines.first)
        #expect(token.count == 32)
        #expect(invite.lines.count == 2)
        #expect(invite.lines[1].hasSuffix("keygate chat 127.0.0.1:\(server.port) --invite \(token) --keys bob"))
        let listed = try await KeygateBinary.run(["keys", "--keys", serverKeys])
        #expect(listed.stdout.contains("Invited: 1 in"))
        let bobKeys = directory.appending("bob")
        let chat = try await KeygateBinary.run(
            ["chat", "127.0.0.1:\(server.port)", "--invite", token, "--keys", bobKeys], input: "hello\n")
        #expect(chat.status == 0, "\(chat.stderr)")
        #expect(chat.stderr.contains("enrolled on 127.0.0.1:\(server.port) as bob"))
        #expect(chat.stdout.contains("bob: hello"))
        let reused = try await KeygateBinary.run(
            ["chat", "127.0.0.1:\(server.port)", "--invite", token, "--keys", directory.appending("eve")], input: "hi\n")
        #expect(reused.status == 3)
        #expect(reused.stderr.contains("invalid invite"))
        await server.stop()
        let keys = try await KeygateBinary.run(["keys", "--keys", serverKeys, "--json"])
        #expect(keys.status == 0, "\(keys.stderr)")
        let json = try JSONValue.parse(Array(keys.stdout.utf8))
        guard case let .array(allowed)? = json["allowed"], let bob = allowed.first else {
            Issue.record("no allowed keys in \(keys.stdout)")
            return
        }
        #expect(bob["name"]?.stringValue == "bob")
        #expect(bob["options"]?.stringValue == #"services="chat""#)
        #expect(bob["last_login"]?.stringValue?.hasSuffix("Z") == true)
        #expect(json["invited"] == .array([]))
        let text = try await KeygateBinary.run(["keys", "--keys", serverKeys])
        #expect(text.stdout.contains("Allowed: 1 in"))
        #expect(text.stdout.contains(#"services="chat""#))
        directory.remove()
    }

    @Test func inviteRefusesATakenNameAMissingNameAndAPastExpiry() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = directory.appending("server")
        let pub = try await Self.keygen("carol", in: directory)
        #expect(try await KeygateBinary.run(["allow", pub, "--keys", server]).status == 0)
        let taken = try await KeygateBinary.run(["invite", "--keys", server, "--name", "carol"])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("the name 'carol' is taken"))
        #expect(try await KeygateBinary.run(["invite", "--keys", server]).status == 2)
        let past = try await KeygateBinary.run(["invite", "--keys", server, "--name", "x", "--expires", "20200101"])
        #expect(past.status == 2)
        #expect(past.stderr.contains("in the past"))
        let json = try await KeygateBinary.run(["invite", "--keys", server, "--name", "dan", "--json", "--key-expires", "30d"])
        #expect(json.status == 0, "\(json.stderr)")
        let value = try JSONValue.parse(Array(json.stdout.utf8))
        #expect(value["token"]?.stringValue?.count == 32)
        #expect(value["options"]?.stringValue?.hasPrefix("expiry-time=") == true)
    }
}
