import KeyGateKeys
import Testing

/// Each description says where the problem is and what to do about it.
struct KeyFileErrorTests {
    @Test func skippedLineNamesFileAndLine() {
        let error = KeyFileError.skippedLine(path: "keys/authorized_keys", line: 3, problem: .unknownAlgorithm("ed25519"))
        #expect(error.description
            == "keys/authorized_keys:3: unknown algorithm 'ed25519' (expected x25519, ffdhe2048, ffdhe3072 or ffdhe4096); line skipped")
    }

    @Test func damagedPrivateKeyAdvisesBackupOrNewKey() {
        let error = KeyFileError.invalidKeyFile(path: "keys/server.key", line: 1, problem: .invalidBase64)
        #expect(error.description.hasPrefix("keys/server.key:1: the key is not valid base64"))
        #expect(error.description.contains("restore the file from a backup"))
    }

    @Test func mismatchedPublicKeySaysWhichFileToDelete() {
        let error = KeyFileError.publicKeyMismatch(privateKeyPath: "keys/server.key", publicKeyPath: "keys/server.pub")
        #expect(error.description == "keys/server.pub does not match keys/server.key; delete keys/server.pub to have it written again from the private key")
    }

    @Test func systemCallFailureGivesTheReasonAndAdvice() {
        let error = KeyFileError.systemCallFailed(call: "open", path: "keys/server.key", errno: 13)
        #expect(error.description == "open keys/server.key failed: Permission denied (errno 13); check the permissions of keys/server.key and of its directory")
    }

    @Test func duplicatesPointAtTheFirstLine() {
        let key = KeyFileError.duplicateKey(path: "authorized_keys", line: 5, firstLine: 2, fingerprint: "SHA256:abc")
        #expect(key.description == "authorized_keys:5: key SHA256:abc is already on line 2; line skipped (delete one of the two)")
        let name = KeyFileError.duplicateName(path: "authorized_keys", line: 6, firstLine: 2, name: "alice")
        #expect(name.description.hasPrefix("authorized_keys:6: name 'alice' is already given to another key on line 2; line skipped"))
    }
}
