import Glibc
import KeyGateKeys
import Synchronization
import Testing

struct AuthorizedKeysTests {
    @Test func looksUpNamesAndFallsBackToTheFingerprint() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, """
                # clients
                x25519 \(TestKeys.alicePublicBase64) alice

                x25519 \(TestKeys.bobPublicBase64)
                """)
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            #expect(list.name(for: try TestKeys.bob) == "SHA256:815WFhYKML88bnn6c8V21AIF6Pw7pOHG3Pk+a5joV7Q")
            #expect(list.name(for: TestKeys.random()) == nil)
            #expect(list.warnings.isEmpty)
            #expect(list.entries.map(\.line) == [2, 4])
        }
    }

    @Test func acceptsUnpaddedBase64CRLFAndIndentedComments() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "  # indented comment\r\n\r\nx25519 \(TestKeys.alicePublicBase64.dropLast()) alice\r\n")
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            #expect(list.warnings.isEmpty)
        }
    }

    @Test func malformedLinesAreReportedWithFileAndLineAndSkipped() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            let short = Base64.encode([UInt8](repeating: 1, count: 31))
            let good = TestKeys.random()
            let lines = [
                "x25519 \(TestKeys.alicePublicBase64) alice",         // 1 good
                "# comment",                                          // 2
                "ed25519 \(TestKeys.bobPublicBase64) eve",            // 3 bad algorithm
                "x25519 not-base64!! mallory",                        // 4 bad base64
                "x25519 \(short) trudy",                              // 5 wrong size
                "x25519",                                             // 6 missing key
                "x25519 \(TestKeys.bobPublicBase64) bob smith",       // 7 trailing garbage after the name
                "ffdhe2048 \(TestKeys.bobPublicBase64) oscar",        // 8 x25519-sized key for ffdhe2048
                good.line(comment: "carol"),                          // 9 good
            ]
            var bytes = Array(lines.joined(separator: "\n").utf8)
            bytes += Array("\nx25519 \(TestKeys.bobPublicBase64) bad".utf8) + [0xFF, 0xFE] + Array("\n".utf8) // 10 not UTF-8
            try writeFile(path, bytes: bytes)
            let reported = Mutex<[KeyFileError]>([])
            let list = AuthorizedKeys(path: path) { warning in reported.withLock { $0.append(warning) } }
            #expect(list.name(for: try TestKeys.alice) == "alice")
            #expect(list.name(for: good) == "carol")
            #expect(list.name(for: try TestKeys.bob) == nil)
            #expect(list.entries.count == 2)
            let expected: [KeyFileError] = [
                .skippedLine(path: path, line: 3, problem: .unknownAlgorithm("ed25519")),
                .skippedLine(path: path, line: 4, problem: .invalidBase64),
                .skippedLine(path: path, line: 5, problem: .wrongKeySize(algorithm: .x25519, isPrivate: false, expected: 32, actual: 31)),
                .skippedLine(path: path, line: 6, problem: .missingFields(expected: KeyLine.format)),
                .skippedLine(path: path, line: 7, problem: .invalidName(name: "bob smith", reason: "it contains whitespace")),
                .skippedLine(path: path, line: 8, problem: .wrongKeySize(algorithm: .ffdhe2048, isPrivate: false, expected: 256, actual: 32)),
                .skippedLine(path: path, line: 10, problem: .invalidUTF8),
            ]
            #expect(list.warnings == expected)
            // The callback heard each of them once, although the file was
            // looked at several times.
            #expect(reported.withLock { $0 } == expected)
            #expect(expected[0].description
                == "\(path):3: unknown algorithm 'ed25519' (expected x25519, ffdhe2048, ffdhe3072 or ffdhe4096); line skipped")
        }
    }

    @Test func duplicateKeysAndNamesAreReportedAndTheFirstKept() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            let other = TestKeys.random()
            let ffdhe = TestKeys.random(.ffdhe2048)
            try writeFile(path, """
                x25519 \(TestKeys.alicePublicBase64) alice
                x25519 \(TestKeys.alicePublicBase64) alice2
                \(other.line(comment: "alice"))
                \(ffdhe.line(comment: "alice"))
                """)
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            #expect(list.name(for: other) == nil)
            // One name may have one key per algorithm.
            #expect(list.name(for: ffdhe) == "alice")
            #expect(list.warnings == [
                .duplicateKey(path: path, line: 2, firstLine: 1, fingerprint: try TestKeys.alice.fingerprint),
                .duplicateName(path: path, line: 3, firstLine: 1, name: "alice"),
            ])
        }
    }

    @Test func missingFileIsAnEmptyListAndCreateIfMissingWritesAHeader() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/keys/authorized_keys"
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == nil)
            #expect(list.warnings.isEmpty)
            #expect(try list.createIfMissing())
            #expect(try readFile(path) == AuthorizedKeys.header)
            #expect(try permissions(of: path) == 0o644)
            #expect(try !list.createIfMissing())
            #expect(list.entries.isEmpty)
            #expect(list.warnings.isEmpty)
        }
    }

    @Test func anEditIsSeenByTheNextLookup() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            // A longer file: the size differs.
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\nx25519 \(TestKeys.bobPublicBase64) bob\n")
            #expect(list.name(for: try TestKeys.bob) == "bob")
            // Same size, written at once: within one tick of the kernel's
            // file clock the stamp may not change; the recent-file rule
            // still reads it again.
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) carol\nx25519 \(TestKeys.bobPublicBase64) bob\n")
            #expect(list.name(for: try TestKeys.alice) == "carol")
            // Removing a line revokes the key for the next connection.
            try writeFile(path, "x25519 \(TestKeys.bobPublicBase64) bob\n")
            #expect(list.name(for: try TestKeys.alice) == nil)
            // Deleting the file empties the list.
            #expect(unlink(path) == 0)
            #expect(list.name(for: try TestKeys.bob) == nil)
        }
    }

    @Test func anOldFileEditedInPlaceWithTheSameSizeIsSeen() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            // An hour-old file is not "recent": only its stamp tells a change.
            var times = [timespec(tv_sec: time(nil) - 3600, tv_nsec: 0), timespec(tv_sec: time(nil) - 3600, tv_nsec: 0)]
            #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) carol\n")
            #expect(list.name(for: try TestKeys.alice) == "carol")
        }
    }

    @Test func addAppendsOnceAndIsIdempotent() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "# my clients\nx25519 \(TestKeys.alicePublicBase64) alice")
            try setPermissions(path, 0o600)
            let list = AuthorizedKeys(path: path)
            #expect(try list.add(TestKeys.bob, name: "bob") == .added(name: "bob"))
            let afterFirstAdd = try readFile(path)
            #expect(afterFirstAdd == "# my clients\nx25519 \(TestKeys.alicePublicBase64) alice\nx25519 \(TestKeys.bobPublicBase64) bob\n")
            #expect(list.name(for: try TestKeys.bob) == "bob")
            // Again, under any name: nothing changes.
            #expect(try list.add(TestKeys.bob, name: "bob") == .alreadyPresent(name: "bob"))
            #expect(try list.add(TestKeys.bob, name: "robert") == .alreadyPresent(name: "bob"))
            #expect(try readFile(path) == afterFirstAdd)
            // The administrator's permissions survive the rewrite.
            #expect(try permissions(of: path) == 0o600)
            // No pending file is left; the lock file that serialises writers stays.
            #expect(try directoryEntries(directory) == [".keygate.lock", "authorized_keys"])
        }
    }

    @Test func addWithoutNameUsesTheFingerprintAndCreatesTheFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/keys/authorized_keys"
            let list = AuthorizedKeys(path: path)
            let key = try TestKeys.alice
            #expect(try list.add(key, name: nil) == .added(name: key.fingerprint))
            #expect(try readFile(path) == AuthorizedKeys.header + key.line(comment: key.fingerprint) + "\n")
            #expect(try permissions(of: path) == 0o644)
            #expect(try permissions(of: directory + "/keys") == 0o700)
            #expect(list.name(for: key) == key.fingerprint)
            #expect(list.warnings.isEmpty)
        }
    }

    @Test func addRefusesANameGivenToAnotherKeyOfTheSameAlgorithm() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            let list = AuthorizedKeys(path: path)
            _ = try list.add(TestKeys.alice, name: "alice")
            #expect(throws: KeyFileError.nameTaken(name: "alice", path: path, line: AuthorizedKeys.header.split(separator: "\n", omittingEmptySubsequences: false).count,
                                                   fingerprint: try TestKeys.alice.fingerprint)) {
                try list.add(TestKeys.bob, name: "alice")
            }
            #expect(try list.add(TestKeys.random(.ffdhe2048), name: "alice") == .added(name: "alice"))
        }
    }

    @Test(arguments: ["", "bob smith", "tab\there", "line\nbreak", "bell\u{7}", "right\u{202E}left", String(repeating: "n", count: 65)])
    func addRejectsInvalidNames(name: String) throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            #expect {
                try list.add(TestKeys.alice, name: name)
            } throws: { error in
                guard case .invalidName(name, _) = error as? KeyFileError else { return false }
                return true
            }
            #expect(try directoryEntries(directory).isEmpty)
        }
    }

    @Test func unicodeNamesAreAllowed() throws {
        try withTemporaryDirectory { directory throws in
            let list = AuthorizedKeys(path: directory + "/authorized_keys")
            #expect(try list.add(TestKeys.alice, name: "zoë") == .added(name: "zoë"))
            #expect(list.name(for: try TestKeys.alice) == "zoë")
        }
    }

    @Test func anUnreadableListLetsNobodyInAndSaysWhy() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            let list = AuthorizedKeys(path: path)
            #expect(list.name(for: try TestKeys.alice) == "alice")
            #expect(unlink(path) == 0 && mkdir(path, 0o700) == 0)
            #expect(list.name(for: try TestKeys.alice) == nil)
            #expect(list.warnings == [.notARegularFile(path: path)])
        }
    }

    @Test func reloadReturnsTheWarningsOfTheFile() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/authorized_keys"
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\nx25519\n")
            let list = AuthorizedKeys(path: path)
            #expect(list.reload() == [.skippedLine(path: path, line: 2, problem: .missingFields(expected: KeyLine.format))])
            #expect(list.name(for: try TestKeys.alice) == "alice")
        }
    }

    @Test func concurrentLookupsDuringEditsSeeAWholeFile() async throws {
        try await withTemporaryDirectory { directory in
            let path = directory + "/authorized_keys"
            let alice = try TestKeys.alice
            try writeFile(path, "x25519 \(TestKeys.alicePublicBase64) alice\n")
            let list = AuthorizedKeys(path: path)
            let names = await withTaskGroup(of: Set<String?>.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: Set<String?> = []
                        for _ in 0..<200 { seen.insert(list.name(for: alice)) }
                        return seen
                    }
                }
                group.addTask {
                    for index in 0..<20 {
                        _ = try? list.add(TestKeys.random(), name: "client\(index)")
                    }
                    return []
                }
                var all: Set<String?> = []
                for await seen in group { all.formUnion(seen) }
                return all
            }
            // Atomic rewrites: a lookup never sees a half-written file.
            #expect(names == ["alice"])
            #expect(list.entries.count == 21)
            #expect(list.warnings.isEmpty)
        }
    }
}
