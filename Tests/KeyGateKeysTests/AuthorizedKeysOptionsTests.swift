import Glibc
import KeyGateKeys
import Testing

/// Options on allow-list lines, the lines that fail closed, and
/// revocation.
struct AuthorizedKeysOptionsTests {
    @Test func aLineWithOptionsGivesThemToItsKey() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, """
                from="10.0.0.0/8",services="ftp",ftp="read-only" x25519 \(TestKeys.alicePublicBase64) alice
                x25519 \(TestKeys.bobPublicBase64) bob
                """)
            let list = AuthorizedKeys(path: path)
            guard case let .allowed(alice) = list.verdict(for: try TestKeys.alice) else {
                Issue.record("alice is not allowed")
                return
            }
            #expect(alice.name == "alice")
            #expect(alice.options.services == ["ftp"])
            #expect(alice.options.ftpReadOnly)
            guard case let .allowed(bob) = list.verdict(for: try TestKeys.bob) else {
                Issue.record("bob is not allowed")
                return
            }
            #expect(bob.options.isEmpty)
            #expect(list.warnings.isEmpty)
        }
    }

    @Test func aBadOptionDeniesItsKeyEvenWhereAnotherLineAllowsIt() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, """
                x25519 \(TestKeys.alicePublicBase64) alice
                from="10.0.0.0/33" x25519 \(TestKeys.alicePublicBase64) alice-two
                nosuch="1" x25519 \(TestKeys.bobPublicBase64) bob
                """)
            let list = AuthorizedKeys(path: path)
            #expect(list.verdict(for: try TestKeys.alice) == .failedClosed(line: 2))
            #expect(list.verdict(for: try TestKeys.bob) == .failedClosed(line: 3))
            #expect(list.name(for: try TestKeys.alice) == nil)
            let warnings = list.warnings.map(\.description)
            #expect(warnings.count == 2)
            #expect(warnings[0].contains("authorized_keys:2: invalid option 'from'"))
            #expect(warnings[1].contains("authorized_keys:3: invalid option 'nosuch': unknown option"))
            #expect(warnings.allSatisfy { $0.contains("is denied until the line is fixed") })
        }
    }

    @Test func addWritesOptionsThatReadBackTheSame() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            let list = AuthorizedKeys(path: path)
            var options = KeyOptions()
            options.services = ["chat"]
            options.from = [AddressRange("127.0.0.1")!]
            options.expiry = KeyExpiry("20991231Z")
            #expect(try list.add(TestKeys.alice, name: "alice", options: options) == .added(name: "alice"))
            #expect(try readFile(path).contains(#"from="127.0.0.1",services="chat",expiry-time="20991231Z" x25519 "#))
            #expect(list.verdict(for: try TestKeys.alice) == .allowed(AuthorizedKeys.Entry(
                key: try TestKeys.alice, name: "alice", line: list.entries.first!.line, options: options)))
        }
    }

    @Test func aRevokedKeyIsDeniedAndMovedToTheRevocationList() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, """
                # clients
                services="chat" x25519 \(TestKeys.alicePublicBase64) alice
                x25519 \(TestKeys.bobPublicBase64) bob

                """)
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            let revoked = try list.revoke(.name("alice"))
            #expect(revoked.map(\.name) == ["alice"])
            #expect(list.verdict(for: try TestKeys.alice) == .revoked(line: 4))
            #expect(list.name(for: try TestKeys.bob) == "bob")
            #expect(try readFile(path) == "# clients\nx25519 \(TestKeys.bobPublicBase64) bob\n")
            let revokedFile = try readFile(directory + "/revoked_keys")
            #expect(revokedFile.hasSuffix("services=\"chat\" x25519 \(TestKeys.alicePublicBase64) alice\n"))
            #expect(list.revokedEntries.map(\.name) == ["alice"])
            // Revoking again changes nothing.
            try list.revoke(.key(TestKeys.alice))
            #expect(try readFile(directory + "/revoked_keys") == revokedFile)
        }
    }

    @Test func aKeyListedInRevokedKeysIsDeniedWhileStillAllowed() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            try writeFile(directory + "/revoked_keys", "x25519 \(TestKeys.alicePublicBase64) lost-laptop\n")
            let list = AuthorizedKeys(path: path)
            #expect(list.verdict(for: try TestKeys.alice) == .revoked(line: 1))
            #expect(try list.revoke(.fingerprint(TestKeys.bob.fingerprint)).isEmpty)
        }
    }

    @Test func revokingAnUnlistedKeyByItsPublicKeyStillRecordsIt() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            let revoked = try list.revoke(.key(TestKeys.bob))
            #expect(revoked.map(\.name) == [try TestKeys.bob.fingerprint])
            #expect(list.verdict(for: try TestKeys.bob) == .revoked(line: 4))
        }
    }

    // Root reads every file, so this runs only as an ordinary user.
    @Test(.enabled(if: geteuid() != 0, "root reads files whatever their mode"))
    func anUnreadableRevocationListDeniesEveryone() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            try writeFile(directory + "/revoked_keys", "", mode: 0o000)
            let list = AuthorizedKeys(path: path)
            guard case .revocationsUnreadable = list.verdict(for: try TestKeys.alice) else {
                Issue.record("an unreadable revoked_keys let a key in")
                return
            }
        }
    }

    @Test func aRevocationListThatIsNotAFileDeniesEveryone() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            #expect(mkdir(directory + "/revoked_keys", 0o700) == 0)
            let list = AuthorizedKeys(path: path)
            guard case .revocationsUnreadable = list.verdict(for: try TestKeys.alice) else {
                Issue.record("a revoked_keys that cannot be read let a key in")
                return
            }
            #expect(list.warnings.contains { $0.description.contains("revoked_keys") })
        }
    }
}
