import Glibc
@testable import KeyGateKeys
import Testing

/// Key files are trusted as sshd's StrictModes trusts them: no symbolic
/// links, owned by the running user or root, writable by nobody else, in a
/// folder nobody else can write to; private keys readable by nobody else.
/// Each refusal says which file, what is wrong and the command that fixes it.
struct KeyFileProtectionTests {
    static func allowList(in directory: String) throws -> (AuthorizedKeys, PublicKey) {
        let path = directory + "/authorized_keys"
        let key = TestKeys.random()
        let list = AuthorizedKeys(path: path)
        _ = try list.add(key, name: "alice")
        #expect(list.name(for: key) == "alice")
        return (list, key)
    }

    @Test func aPrivateKeyThatIsASymbolicLinkIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory + "/keys")
            let identity = try store.createIdentity(name: "alice", algorithm: .x25519)
            let elsewhere = directory + "/elsewhere.key"
            #expect(rename(identity.privateKeyPath, elsewhere) == 0)
            #expect(symlink(elsewhere, identity.privateKeyPath) == 0)
            #expect {
                try store.loadIdentity(name: "alice", algorithm: .x25519)
            } throws: { error in
                guard case .symbolicLink(identity.privateKeyPath)? = error as? KeyFileError else { return false }
                return "\(error)".contains("cp --remove-destination") && (error as? KeyFileError)?.isUnsafeFile == true
            }
        }
    }

    @Test func aGroupWritableAllowListIsRefusedWithTheChmodThatFixesIt() throws {
        try withTemporaryDirectory { directory throws in
            let (list, key) = try Self.allowList(in: directory)
            try setPermissions(list.path, 0o664)
            #expect(list.name(for: key) == nil, "every client is denied while the file is unsafe")
            #expect(list.warnings == [.writableByOthers(path: list.path, mode: 0o664)])
            #expect("\(list.warnings[0])".contains("chmod go-w \(list.path)"))
            try setPermissions(list.path, 0o644)
            #expect(list.name(for: key) == "alice", "fixed, it is read again")
        }
    }

    @Test func anAllowListInAFolderOthersCanWriteToIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let (list, key) = try Self.allowList(in: directory)
            try setPermissions(directory, 0o777)
            #expect(list.name(for: key) == nil, "a change of the folder alone is noticed")
            #expect(list.warnings == [.folderWritableByOthers(folder: directory, path: list.path, mode: 0o777)])
            #expect("\(list.warnings[0])".contains("chmod go-w \(directory)"))
            try setPermissions(directory, 0o700)
            #expect(list.name(for: key) == "alice")
        }
    }

    // Making a file someone else's needs root.
    @Test(.enabled(if: geteuid() == 0, "chown needs root"))
    func anAllowListOwnedByAnotherUserIsRefusedWithTheChown() throws {
        try withTemporaryDirectory { directory throws in
            let (list, key) = try Self.allowList(in: directory)
            #expect(chown(list.path, 65534, 65534) == 0)
            #expect(list.name(for: key) == nil)
            #expect(list.warnings == [.untrustedOwner(path: list.path, owner: 65534, user: 0)])
            #expect("\(list.warnings[0])".contains("chown root \(list.path)"))
            #expect(chown(list.path, 0, 0) == 0)
            #expect(list.name(for: key) == "alice")
        }
    }

    @Test func anAllowListReplacedByASymbolicLinkIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let (list, key) = try Self.allowList(in: directory)
            let elsewhere = directory + "/other"
            #expect(rename(list.path, elsewhere) == 0)
            #expect(symlink(elsewhere, list.path) == 0)
            #expect(list.name(for: key) == nil)
            #expect(list.warnings == [.symbolicLink(path: list.path)])
        }
    }

    @Test func addingToAnUnsafeAllowListIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let (list, _) = try Self.allowList(in: directory)
            try setPermissions(list.path, 0o666)
            #expect(throws: KeyFileError.writableByOthers(path: list.path, mode: 0o666)) {
                try list.add(TestKeys.random(), name: "bob")
            }
        }
    }

    @Test func aKnownHostsFileOthersCanWriteIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let hosts = KnownHosts(path: directory + "/known_hosts")
            let key = TestKeys.random()
            #expect(try hosts.trustOnFirstUse(host: "server", port: 7700, key: key) == .remembered)
            try setPermissions(hosts.path, 0o646)
            #expect(throws: KeyFileError.writableByOthers(path: hosts.path, mode: 0o646)) {
                try hosts.trustOnFirstUse(host: "server", port: 7700, key: key)
            }
        }
    }

    @Test func aPrivateKeyInAFolderOthersCanWriteToIsRefused() throws {
        try withTemporaryDirectory { directory throws in
            let store = KeyStore(directory: directory + "/keys")
            _ = try store.createIdentity(name: "alice", algorithm: .x25519)
            try setPermissions(store.directory, 0o733)
            #expect(throws: KeyFileError.folderWritableByOthers(
                folder: store.directory, path: store.privateKeyPath(name: "alice", algorithm: .x25519), mode: 0o733)) {
                try store.loadIdentity(name: "alice", algorithm: .x25519)
            }
        }
    }

    /// A public key file given on the command line is only read.
    @Test func aPublicKeyFileIsReadWhereverItIs() throws {
        try withTemporaryDirectory { directory throws in
            let key = TestKeys.random()
            let path = directory + "/alice.pub"
            try writeFile(path, key.line(comment: "alice") + "\n", mode: 0o666)
            try setPermissions(directory, 0o777)
            defer { _ = chmod(directory, 0o700) }
            #expect(try KeyStore.loadPublicKey(path: path).key == key)
        }
    }
}
