import Glibc
import KeyGateKeys
import Synchronization
import Testing

struct KnownHostsTests {
    @Test func trustOnFirstUseRemembersThenTrusts() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/keys/known_hosts"
            let hosts = KnownHosts(path: path)
            let key = try TestKeys.alice
            #expect(try hosts.check(host: "127.0.0.1", port: 7700, key: key) == .unknown)
            #expect(try hosts.trustOnFirstUse(host: "127.0.0.1", port: 7700, key: key) == .remembered)
            #expect(try hosts.check(host: "127.0.0.1", port: 7700, key: key) == .trusted)
            #expect(try hosts.trustOnFirstUse(host: "127.0.0.1", port: 7700, key: key) == .trusted)
            #expect(try readFile(path) == KnownHosts.header + "127.0.0.1:7700 x25519 \(TestKeys.alicePublicBase64)\n")
            #expect(try permissions(of: path) == 0o644)
            // Another port of the same host is another server.
            #expect(try hosts.check(host: "127.0.0.1", port: 7800, key: key) == .unknown)
        }
    }

    @Test func aChangedKeyIsAMismatchShowingBothFingerprints() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/known_hosts"
            let hosts = KnownHosts(path: path)
            let known = try TestKeys.alice
            let presented = try TestKeys.bob
            try hosts.remember(host: "gate.example.org", port: 7700, key: known)
            #expect(try hosts.check(host: "gate.example.org", port: 7700, key: presented) == .mismatch(known: known))
            let expected = KeyFileError.serverKeyChanged(hostAndPort: "gate.example.org:7700", knownHostsPath: path,
                                                         known: known, presented: presented)
            #expect(throws: expected) { try hosts.trustOnFirstUse(host: "gate.example.org", port: 7700, key: presented) }
            #expect(expected.description.contains("SHA256:MAyclgO5Kks57TlYv5JAEUgE20/TcwEsDKR0MtY0Ja4"))
            #expect(expected.description.contains("SHA256:815WFhYKML88bnn6c8V21AIF6Pw7pOHG3Pk+a5joV7Q"))
            #expect(expected.description.contains("delete the line starting with 'gate.example.org:7700 x25519' from \(path)"))
            // The mismatch did not change the file.
            #expect(try hosts.check(host: "gate.example.org", port: 7700, key: known) == .trusted)
        }
    }

    @Test func rememberReplacesTheKeyAndKeepsOtherLines() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/known_hosts"
            let other = TestKeys.random()
            try writeFile(path, """
                # mine
                10.0.0.1:7700 \(other.line())
                127.0.0.1:7700 x25519 \(TestKeys.alicePublicBase64)
                garbage line
                """)
            let hosts = KnownHosts(path: path)
            try hosts.remember(host: "127.0.0.1", port: 7700, key: TestKeys.bob)
            #expect(try readFile(path) == """
                # mine
                10.0.0.1:7700 \(other.line())
                127.0.0.1:7700 x25519 \(TestKeys.bobPublicBase64)
                garbage line

                """)
            #expect(try hosts.check(host: "127.0.0.1", port: 7700, key: TestKeys.bob) == .trusted)
            #expect(try directoryEntries(directory) == ["known_hosts"])
        }
    }

    @Test func rememberReplacesAnEntryInAFileWithCRLFLineEnds() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/known_hosts"
            try writeFile(path, "127.0.0.1:7700 x25519 \(TestKeys.alicePublicBase64)\r\n")
            let hosts = KnownHosts(path: path)
            try hosts.remember(host: "127.0.0.1", port: 7700, key: TestKeys.bob)
            #expect(try readFile(path) == "127.0.0.1:7700 x25519 \(TestKeys.bobPublicBase64)\n")
            #expect(try hosts.check(host: "127.0.0.1", port: 7700, key: TestKeys.bob) == .trusted)
        }
    }

    @Test func oneEntryPerAlgorithm() throws {
        try withTemporaryDirectory { directory throws in
            let hosts = KnownHosts(path: directory + "/known_hosts")
            let x25519 = TestKeys.random()
            let ffdhe = TestKeys.random(.ffdhe2048)
            try hosts.remember(host: "localhost", port: 7700, key: x25519)
            #expect(try hosts.check(host: "localhost", port: 7700, key: ffdhe) == .newAlgorithm(known: [x25519]))
            try hosts.remember(host: "localhost", port: 7700, key: ffdhe)
            #expect(try hosts.check(host: "localhost", port: 7700, key: x25519) == .trusted)
            #expect(try hosts.check(host: "localhost", port: 7700, key: ffdhe) == .trusted)
            #expect(try hosts.entries().count == 2)
        }
    }

    /// Trust on first use is per host, not per algorithm: a host known by
    /// its X25519 key is not trusted afresh with an FFDHE key.
    @Test func aKnownHostWithAKeyOfANewAlgorithmIsRefusedUnlessAccepted() throws {
        try withTemporaryDirectory { directory throws in
            let hosts = KnownHosts(path: directory + "/known_hosts")
            let x25519 = TestKeys.random()
            let ffdhe = TestKeys.random(.ffdhe2048)
            #expect(try hosts.trustOnFirstUse(host: "server", port: 7700, key: x25519) == .remembered)
            #expect {
                try hosts.trustOnFirstUse(host: "server", port: 7700, key: ffdhe)
            } throws: { error in
                guard case let .serverKeyNewAlgorithm(hostAndPort, _, known, presented)? = error as? KeyFileError else { return false }
                let text = "\(error)"
                return hostAndPort == "server:7700" && known == [x25519] && presented == ffdhe
                    && text.contains(x25519.fingerprint) && text.contains(ffdhe.fingerprint)
                    && text.contains("--accept-new-host-key")
            }
            #expect(try hosts.entries().count == 1, "nothing recorded")
            #expect(try hosts.trustOnFirstUse(host: "server", port: 7700, key: ffdhe, acceptNewAlgorithm: true) == .remembered)
            #expect(try hosts.trustOnFirstUse(host: "server", port: 7700, key: ffdhe) == .trusted)
            // The flag never accepts a changed key of a known algorithm.
            #expect(throws: KeyFileError.self) {
                try hosts.trustOnFirstUse(host: "server", port: 7700, key: TestKeys.random(.ffdhe2048), acceptNewAlgorithm: true)
            }
            // Another host is still first use.
            #expect(try hosts.trustOnFirstUse(host: "other", port: 7700, key: ffdhe) == .remembered)
        }
    }

    @Test func ipv6HostsAreBracketedAndNormalized() throws {
        #expect(try KnownHosts.hostAndPort(host: "::1", port: 7700) == "[::1]:7700")
        #expect(try KnownHosts.hostAndPort(host: "[::1]", port: 7700) == "[::1]:7700")
        #expect(try KnownHosts.hostAndPort(host: "0:0:0:0:0:0:0:1", port: 7700) == "[::1]:7700")
        #expect(try KnownHosts.hostAndPort(host: "2001:DB8:0:0::1", port: 443) == "[2001:db8::1]:443")
        #expect(try KnownHosts.hostAndPort(host: "fe80::1%eth0", port: 7700) == "[fe80::1%eth0]:7700")
        #expect(try KnownHosts.hostAndPort(host: "Gate.Example.ORG", port: 7700) == "gate.example.org:7700")
        #expect(try KnownHosts.hostAndPort(host: "192.0.2.1", port: 1) == "192.0.2.1:1")
        try withTemporaryDirectory { directory throws in
            let path = directory + "/known_hosts"
            let hosts = KnownHosts(path: path)
            try hosts.remember(host: "::1", port: 7700, key: TestKeys.alice)
            #expect(try readFile(path).hasSuffix("\n[::1]:7700 x25519 \(TestKeys.alicePublicBase64)\n"))
            #expect(try hosts.check(host: "0::1", port: 7700, key: TestKeys.alice) == .trusted)
            #expect(try hosts.check(host: "[::1]", port: 7700, key: TestKeys.alice) == .trusted)
        }
    }

    @Test(arguments: [("", 7700), ("::1", 0), ("host", 65536), ("two words", 7700), ("[host]", 7700), ("::zz", 7700), ("a/b", 7700)])
    func invalidHostsAreRefused(host: String, port: Int) {
        #expect {
            try KnownHosts.hostAndPort(host: host, port: port)
        } throws: { error in
            guard case .invalidHost(host, port, _) = error as? KeyFileError else { return false }
            return true
        }
    }

    @Test func malformedLinesAreReportedAndSkipped() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/known_hosts"
            try writeFile(path, """
                ::1:7700 x25519 \(TestKeys.alicePublicBase64)
                localhost x25519 \(TestKeys.alicePublicBase64)
                localhost:http x25519 \(TestKeys.alicePublicBase64)
                localhost:7700 x25519 \(TestKeys.alicePublicBase64) trailing
                localhost:7700
                localhost:7700 x25519 \(TestKeys.alicePublicBase64.dropLast())
                LOCALHOST:7700 x25519 \(TestKeys.bobPublicBase64)
                """)
            let reported = Mutex<[KeyFileError]>([])
            let hosts = KnownHosts(path: path) { warning in reported.withLock { $0.append(warning) } }
            // Line 6 is the entry (unpadded base64 is fine); line 7 repeats it.
            #expect(try hosts.check(host: "localhost", port: 7700, key: TestKeys.alice) == .trusted)
            let warnings = reported.withLock { $0 }
            #expect(warnings == [
                .skippedLine(path: path, line: 1, problem: .invalidHostAndPort("::1:7700", reason: "an IPv6 address must be in brackets, as in [::1]:7700")),
                .skippedLine(path: path, line: 2, problem: .invalidHostAndPort("localhost", reason: "the port is missing")),
                .skippedLine(path: path, line: 3, problem: .invalidHostAndPort("localhost:http", reason: "the port is not a number")),
                .skippedLine(path: path, line: 4, problem: .unexpectedText("trailing")),
                .skippedLine(path: path, line: 5, problem: .missingFields(expected: "<host>:<port> <algorithm> <base64 key>")),
                .duplicateHost(path: path, line: 7, firstLine: 6, hostAndPort: "localhost:7700"),
            ])
            #expect(warnings[0].description.hasPrefix("\(path):1: "))
        }
    }
}
