import Glibc
@testable import KeyGateKeys
import Testing

/// Invites: the file, the token, creating and redeeming them.
struct InviteListTests {
    static let now: Int64 = 1_800_000_000

    @Test func aTokenIs32LowercaseBase32CharactersAndTokensDiffer() {
        let tokens = (0..<50).map { _ in AuthorizedKeys.newInviteToken() }
        for token in tokens {
            #expect(token.count == 32)
            #expect(token.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x32...0x37).contains($0) })
        }
        #expect(Set(tokens).count == tokens.count)
    }

    @Test func theFileKeepsOnlyTheHashAndRoundTrips() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            let options = try KeyOptions(parsing: #"services="chat",ftp="read-only""#)
            let token = try list.invite(name: "bob", options: options, expires: Self.now + 60, now: Self.now)
            let text = try readFile(list.invitesPath)
            #expect(!text.contains(token))
            #expect(text.contains(" 2027-01-15T08:01:00Z bob services=\"chat\",ftp=\"read-only\"\n"))
            #expect(try permissions(of: list.invitesPath) == 0o600)
            let invites = try list.readInvites()
            #expect(invites.problems.isEmpty)
            #expect(invites.invites.map(\.name) == ["bob"])
            #expect(invites.invites.first?.options == options)
            #expect(invites.invites.first?.expires == Self.now + 60)
        }
    }

    @Test func redeemingAddsTheKeyWithTheInvitesNameAndOptionsAndUsesTheInviteUp() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            let options = try KeyOptions(parsing: #"from="127.0.0.1""#)
            let token = try list.invite(name: "bob", options: options, expires: Self.now + 60, now: Self.now)
            let key = try TestKeys.bob
            guard case let .enrolled(entry) = try list.redeemInvite(token: token, for: key, now: Self.now + 1) else {
                Issue.record("not enrolled")
                return
            }
            #expect(entry.name == "bob")
            #expect(entry.options == options)
            #expect(entry.line > 0)
            guard case let .allowed(allowed) = list.verdict(for: key) else {
                Issue.record("bob is not allowed")
                return
            }
            #expect(allowed.options == options)
            #expect(try list.readInvites().invites.isEmpty)
            #expect(try list.redeemInvite(token: token, for: try TestKeys.alice, now: Self.now + 2) == .invalidToken)
        }
    }

    @Test func anExpiredOrWrongTokenIsInvalidAndChangesNothing() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            let token = try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            #expect(try list.redeemInvite(token: token + "x", for: try TestKeys.bob, now: Self.now) == .invalidToken)
            #expect(try list.redeemInvite(token: token, for: try TestKeys.bob, now: Self.now + 60) == .invalidToken)
            #expect(list.entries.isEmpty)
            #expect(try list.readInvites().invites.count == 1)
        }
    }

    @Test func aNameTakenByAKeyOrAnotherInviteIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            _ = try list.add(try TestKeys.alice, name: "alice")
            #expect(throws: KeyFileError.self) {
                try list.invite(name: "alice", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            }
            _ = try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            #expect(throws: KeyFileError.self) {
                try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            }
            // Once bob's invite has expired, the name is free again.
            _ = try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 200, now: Self.now + 100)
            #expect(try list.readInvites().invites.count == 1)
        }
    }

    @Test func aNameTakenAfterTheInviteWasMadeRefusesTheEnrolmentAndKeepsTheInvite() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            let token = try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            _ = try list.add(try TestKeys.bob, name: "bob")
            #expect(try list.redeemInvite(token: token, for: try TestKeys.alice, now: Self.now) == .nameTaken(name: "bob"))
            #expect(try list.readInvites().invites.count == 1)
        }
    }

    @Test func unreadableLinesAreReportedAndNeverMatch() throws {
        let hash = String(repeating: "ab", count: 32)
        let list = InviteList(parsing: Array("""
            # comment
            sha256:\(hash) 2027-01-15T08:01:00Z bob
            sha256:1234 2027-01-15T08:01:00Z short
            sha256:\(hash) tomorrow carol
            sha256:\(hash) 2027-01-15T08:01:00Z bad\u{7}name
            sha256:\(hash) 2027-01-15T08:01:00Z dave nonsense="x"
            md5:\(hash) 2027-01-15T08:01:00Z erin
            only-one-field

            """.utf8))
        #expect(list.invites.map(\.name) == ["bob"])
        #expect(list.problems.map(\.line) == [3, 4, 5, 6, 7, 8])
    }

    @Test func anInvitesFileOthersCanReadIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            _ = try list.invite(name: "bob", options: KeyOptions(), expires: Self.now + 60, now: Self.now)
            try setPermissions(list.invitesPath, 0o644)
            #expect(throws: KeyFileError.self) { try list.readInvites() }
        }
    }
}

/// `DIR/last_seen`.
struct LastSeenFileTests {
    @Test func recordsMergeKeepingTheLatestTimeAndTheFileIsPrivate() throws {
        try withTemporaryDirectory { directory throws in
            let file = LastSeenFile(path: directory + "/last_seen")
            #expect(try file.read().isEmpty)
            try file.record(["SHA256:a": 1_800_000_000, "SHA256:b": 1_800_000_100])
            try file.record(["SHA256:a": 1_700_000_000, "SHA256:c": 1_800_000_200])
            #expect(try file.read() == ["SHA256:a": 1_800_000_000, "SHA256:b": 1_800_000_100, "SHA256:c": 1_800_000_200])
            #expect(try readFile(file.path).contains("SHA256:a 2027-01-15T08:00:00Z\n"))
            #expect(try permissions(of: file.path) == 0o600)
        }
    }

    @Test func garbageLinesAreSkipped() {
        let parsed = LastSeenFile.parse(Array("""
            # header
            SHA256:a 2027-01-15T08:00:00Z
            SHA256:b 2027-13-15T08:00:00Z
            SHA256:c yesterday
            notafingerprint 2027-01-15T08:00:00Z
            SHA256:d 2027-01-15T08:00:00Z extra

            """.utf8))
        #expect(parsed == ["SHA256:a": 1_800_000_000])
    }

    @Test func timestampsRoundTrip() {
        for seconds: Int64 in [0, 951_782_400, 1_800_000_000, 4_102_444_799] {
            #expect(LastSeenFile.seconds(fromTimestamp: LastSeenFile.timestamp(seconds)) == seconds)
        }
    }
}

extension LastSeenFileTests {
    /// Found by the key-files fuzz target: a year before 1970 or a day
    /// that does not exist must not be read as some other time.
    @Test(arguments: ["0528-01-15T08:00:00Z", "1969-12-31T23:59:59Z", "2027-02-31T08:00:00Z", "2027-01-15T08:00:60Z"])
    func timesThatCannotBeWrittenBackAreRefused(text: String) {
        #expect(LastSeenFile.seconds(fromTimestamp: text) == nil)
    }
}
