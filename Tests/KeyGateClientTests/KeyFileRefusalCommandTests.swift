import KeyGateSystem
import Foundation
import Glibc
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateTestSupport
import Testing

/// `keygate serve` and the clients refusing key files they cannot trust,
/// as an operator sees it: the real binary, exit statuses, messages.
@Suite(.exclusiveNetwork)
struct KeyFileRefusalCommandTests {
    @Test func serveRefusesToStartOnAnAllowListOthersCanWrite() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let keys = directory.appending("server")
        let list = AuthorizedKeys(path: keys + "/authorized_keys")
        _ = try await onFileThread { try list.createIfMissing() }
        #expect(chmod(list.path, 0o666) == 0)
        let outcome = try await KeygateBinary.run([
            "serve", "--keys", keys, "--listen", "127.0.0.1:0", "--data-ports", "22950-22959", "--services", "chat",
        ])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("cannot start: the allow-list is not safe"))
        #expect(outcome.stderr.contains("chmod go-w \(list.path)"))
    }

    @Test func aClientRefusesAPrivateKeyThatIsASymbolicLink() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = KeyStore(directory: directory.appending("alice"))
        let identity = try await onFileThread { try store.createIdentity(name: "alice", algorithm: .x25519) }
        let elsewhere = directory.appending("stolen.key")
        #expect(rename(identity.privateKeyPath, elsewhere) == 0)
        #expect(symlink(elsewhere, identity.privateKeyPath) == 0)
        let outcome = try await KeygateBinary.run(
            ["chat", "127.0.0.1:9", "--keys", store.directory, "--name", "alice"], input: "hi\n")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("is a symbolic link"))
    }

    /// A server known by its X25519 key that shows an FFDHE key: exit 4
    /// with both fingerprints, unless --accept-new-host-key.
    @Test func aKnownServerWithAKeyOfANewAlgorithmExitsWith4() async throws {
        let server = try await TestServer.start(services: [ChatService(log: .silent)])
        let x25519 = try await server.client("alice")
        _ = try await server.client("alice", algorithm: .ffdhe2048)
        let base = ["chat", "127.0.0.1:\(server.port)", "--keys", x25519.keys.directory, "--name", "alice"]
        #expect(try await KeygateBinary.run(base, input: "one\n").status == 0)
        let refused = try await KeygateBinary.run(base + ["--dh", "ffdhe2048"], input: "two\n")
        #expect(refused.status == 4)
        #expect(refused.stderr.contains(server.publicKey(.x25519).fingerprint))
        #expect(refused.stderr.contains(server.publicKey(.ffdhe2048).fingerprint))
        #expect(refused.stderr.contains("--accept-new-host-key"))
        let accepted = try await KeygateBinary.run(base + ["--dh", "ffdhe2048", "--accept-new-host-key"], input: "three\n")
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(try await KeygateBinary.run(base + ["--dh", "ffdhe2048"], input: "four\n").status == 0)
        await server.stopAndRemove()
    }
}
