import Glibc
import KeyGateKeys
import Testing

struct KeyStoreTests {
    @Test(arguments: KeyAlgorithm.allCases)
    func identityIsCreatedOnceAndReusedByAnotherStore(algorithm: KeyAlgorithm) throws {
        try withTemporaryDirectory { directory throws in
            let keys = directory + "/keys"
            let (first, created) = try KeyStore(directory: keys).loadOrCreateIdentity(name: "server", algorithm: algorithm)
            #expect(created)
            let (second, createdAgain) = try KeyStore(directory: keys).loadOrCreateIdentity(name: "server", algorithm: algorithm)
            #expect(!createdAgain)
            #expect(second.privateKey.secret.isEqual(to: first.privateKey.secret))
            #expect(second.publicKey == first.publicKey)
            #expect(second.fingerprint == first.fingerprint)
            #expect(second.algorithm == algorithm)
            let suffix = algorithm.fileNameSuffix
            #expect(first.privateKeyPath == "\(keys)/server\(suffix).key")
            #expect(first.publicKeyPath == "\(keys)/server\(suffix).pub")
            #expect(try directoryEntries(keys) == ["server\(suffix).key", "server\(suffix).pub"])
            #expect(try readFile(first.publicKeyPath) == first.publicKey.line(comment: "server") + "\n")
            #expect(try readFile(first.privateKeyPath) == first.privateKey.line(comment: "server") + "\n")
        }
    }

    @Test func filesAndFolderGetTheirModes() throws {
        try withTemporaryDirectory { directory throws in
            let keys = directory + "/nested/keys"
            let (identity, _) = try KeyStore(directory: keys).loadOrCreateIdentity(name: "server", algorithm: .x25519)
            #expect(try permissions(of: identity.privateKeyPath) == 0o600)
            #expect(try permissions(of: identity.publicKeyPath) == 0o644)
            #expect(try permissions(of: keys) == 0o700)
        }
    }

    @Test func refusesPrivateKeyReadableByOthers() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let (identity, _) = try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            try setPermissions(identity.privateKeyPath, 0o644)
            #expect(throws: KeyFileError.unprotectedPrivateKey(path: identity.privateKeyPath, mode: 0o644)) {
                try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            }
            let error = KeyFileError.unprotectedPrivateKey(path: identity.privateKeyPath, mode: 0o644)
            #expect(error.description == "\(identity.privateKeyPath) is readable by group or others (mode 0644); run: chmod 600 \(identity.privateKeyPath)")
            // Group write alone is refused too.
            try setPermissions(identity.privateKeyPath, 0o620)
            #expect(throws: KeyFileError.unprotectedPrivateKey(path: identity.privateKeyPath, mode: 0o620)) {
                try store.loadIdentity(name: "server", algorithm: .x25519)
            }
            try setPermissions(identity.privateKeyPath, 0o400)
            #expect(try store.loadIdentity(name: "server", algorithm: .x25519)?.publicKey == identity.publicKey)
        }
    }

    @Test func chmodAdviceQuotesAPathWithSpaces() {
        let error = KeyFileError.unprotectedPrivateKey(path: "my keys/server.key", mode: 0o640)
        #expect(error.description.hasSuffix("run: chmod 600 'my keys/server.key'"))
    }

    /// Private key files whose one line is unusable: (content, line, problem).
    static let damagedPrivateKeys: [(String, Int, KeyLineProblem)] = [
        ("x25519 \(Base64.encode([UInt8](repeating: 1, count: 31))) server\n", 1, .wrongKeySize(algorithm: .x25519, isPrivate: true, expected: 32, actual: 31)),
        ("# comment\n\ned25519 \(TestKeys.alicePrivateBase64) server\n", 3, .unknownAlgorithm("ed25519")),
        ("x25519 dwdtCnMYpX08FsFyUbJmRd9ML4frwJkqsXf7pR25LC!= server\n", 1, .invalidBase64),
        ("x25519\n", 1, .missingFields(expected: KeyLine.format)),
        ("x25519 \(TestKeys.alicePrivateBase64) server\nx25519 \(TestKeys.alicePrivateBase64) again\n", 2, .secondKey),
    ]

    @Test(arguments: damagedPrivateKeys)
    func damagedPrivateKeyIsAnErrorNamingFileAndLine(content: String, line: Int, problem: KeyLineProblem) throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let path = store.privateKeyPath(name: "server", algorithm: .x25519)
            try writeFile(path, content, mode: 0o600)
            let expected = KeyFileError.invalidKeyFile(path: path, line: line, problem: problem)
            #expect(throws: expected) { try store.loadOrCreateIdentity(name: "server", algorithm: .x25519) }
            #expect(expected.description.hasPrefix("\(path):\(line): "))
            // The damaged file is left for the user to inspect.
            #expect(try readFile(path) == content)
        }
    }

    @Test func emptyPrivateKeyFileIsAnError() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let path = store.privateKeyPath(name: "server", algorithm: .x25519)
            try writeFile(path, "# nothing here\n", mode: 0o600)
            #expect(throws: KeyFileError.noKeyInFile(path: path)) {
                try store.loadIdentity(name: "server", algorithm: .x25519)
            }
        }
    }

    @Test func privateKeyOfAnotherAlgorithmIsAnError() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let path = store.privateKeyPath(name: "server", algorithm: .ffdhe2048)
            // 32 bytes fit both x25519 and ffdhe2048 private keys: the
            // algorithm field decides.
            try writeFile(path, "x25519 \(TestKeys.alicePrivateBase64) server\n", mode: 0o600)
            #expect(throws: KeyFileError.wrongAlgorithm(path: path, line: 1, expected: .ffdhe2048, found: .x25519)) {
                try store.loadIdentity(name: "server", algorithm: .ffdhe2048)
            }
        }
    }

    @Test func unpaddedPrivateKeyIsAccepted() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            try writeFile(store.privateKeyPath(name: "alice", algorithm: .x25519),
                          "x25519 \(TestKeys.alicePrivateBase64.dropLast()) alice\n", mode: 0o600)
            let identity = try store.loadIdentity(name: "alice", algorithm: .x25519)
            #expect(identity?.publicKey.bytes == TestKeys.alicePublic)
        }
    }

    @Test func publicKeyThatDoesNotMatchIsAnErrorNamingBothFiles() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let (identity, _) = try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            try writeFile(identity.publicKeyPath, try TestKeys.bob.line(comment: "server") + "\n")
            let expected = KeyFileError.publicKeyMismatch(privateKeyPath: identity.privateKeyPath, publicKeyPath: identity.publicKeyPath)
            #expect(throws: expected) { try store.loadOrCreateIdentity(name: "server", algorithm: .x25519) }
            #expect(expected.description.contains(identity.privateKeyPath))
            #expect(expected.description.contains(identity.publicKeyPath))
        }
    }

    @Test func missingPublicKeyIsWrittenAgain() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let (identity, _) = try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            #expect(unlink(identity.publicKeyPath) == 0)
            let (again, created) = try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            #expect(!created)
            #expect(again.publicKey == identity.publicKey)
            #expect(try readFile(identity.publicKeyPath) == identity.publicKey.line(comment: "server") + "\n")
        }
    }

    @Test func createIdentityRefusesToOverwriteUnlessAsked() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let first = try store.createIdentity(name: "client", algorithm: .x25519)
            #expect(throws: KeyFileError.identityExists(privateKeyPath: first.privateKeyPath)) {
                try store.createIdentity(name: "client", algorithm: .x25519)
            }
            #expect(try store.loadIdentity(name: "client", algorithm: .x25519)?.publicKey == first.publicKey)
            let replaced = try store.createIdentity(name: "client", algorithm: .x25519, overwrite: true)
            #expect(replaced.publicKey != first.publicKey)
            #expect(try store.loadIdentity(name: "client", algorithm: .x25519)?.publicKey == replaced.publicKey)
            #expect(try permissions(of: replaced.privateKeyPath) == 0o600)
            // Only the two key files: no temporary file left behind.
            #expect(try directoryEntries(directory) == ["client.key", "client.pub"])
        }
    }

    @Test func identitiesOfDifferentAlgorithmsLiveSideBySide() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let x25519 = try store.createIdentity(name: "client", algorithm: .x25519)
            let ffdhe = try store.createIdentity(name: "client", algorithm: .ffdhe2048)
            #expect(try directoryEntries(directory) == ["client-ffdhe2048.key", "client-ffdhe2048.pub", "client.key", "client.pub"])
            #expect(try store.loadIdentity(name: "client", algorithm: .x25519)?.publicKey == x25519.publicKey)
            #expect(try store.loadIdentity(name: "client", algorithm: .ffdhe2048)?.publicKey == ffdhe.publicKey)
        }
    }

    @Test func loadsPublicKeyFromPubOrKeyFile() throws {
        try withTemporaryDirectory { directory throws in
            let identity = try KeyStore(directory: directory).createIdentity(name: "alice", algorithm: .ffdhe2048)
            let fromPublic = try KeyStore.loadPublicKey(path: identity.publicKeyPath)
            let fromPrivate = try KeyStore.loadPublicKey(path: identity.privateKeyPath)
            #expect(fromPublic.key == identity.publicKey)
            #expect(fromPrivate.key == identity.publicKey)
            #expect(fromPublic.comment == "alice")
            #expect(fromPrivate.comment == "alice")
        }
    }

    @Test func loadingAMissingKeyFileNamesIt() throws {
        try withTemporaryDirectory { directory throws in
            let path = directory + "/nobody.pub"
            #expect(throws: KeyFileError.systemCallFailed(call: "open", path: path, errno: ENOENT)) {
                try KeyStore.loadPublicKey(path: path)
            }
        }
    }

    @Test func aDirectoryInPlaceOfAKeyFileIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory)
            let path = store.privateKeyPath(name: "server", algorithm: .x25519)
            #expect(mkdir(path, 0o700) == 0)
            #expect(throws: KeyFileError.notARegularFile(path: path)) {
                try store.loadOrCreateIdentity(name: "server", algorithm: .x25519)
            }
        }
    }

    @Test(arguments: ["", ".hidden", "-flag", "a/b", "two words", "née", String(repeating: "a", count: 65)])
    func rejectsIdentityNamesThatAreNotPlainFileNames(name: String) throws {
        try withTemporaryDirectory { directory throws in
            #expect {
                try KeyStore(directory: directory).loadOrCreateIdentity(name: name, algorithm: .x25519)
            } throws: { error in
                guard case .invalidIdentityName(name, _) = error as? KeyFileError else { return false }
                return true
            }
            #expect(try directoryEntries(directory).isEmpty)
        }
    }

    @Test func pathsJoinWithOrWithoutTrailingSlash() {
        #expect(KeyStore(directory: "keys").privateKeyPath(name: "server", algorithm: .x25519) == "keys/server.key")
        #expect(KeyStore(directory: "keys/").publicKeyPath(name: "server", algorithm: .ffdhe4096) == "keys/server-ffdhe4096.pub")
        #expect(KeyStore(directory: "/etc/keygate").authorizedKeysPath == "/etc/keygate/authorized_keys")
        #expect(KeyStore(directory: "keys").knownHostsPath == "keys/known_hosts")
    }
}
