import KeyGateSystem
import Glibc
@testable import KeyGateClient
import KeyGateTestSupport
import Testing

/// The password file of `keygate ftp-proxy --password-file`.
@Suite struct GatewayPasswordTests {
    /// Writes `text` to a file with `mode` in a new folder.
    static func passwordFile(_ text: String, mode: mode_t = 0o600) throws -> (String, TemporaryDirectory) {
        let directory = TemporaryDirectory("keygate-password")
        let path = directory.appending("password")
        try writeFile(path, Array(text.utf8))
        #expect(chmod(path, mode) == 0)
        return (path, directory)
    }

    @Test func theFirstLineIsThePassword() throws {
        let (path, directory) = try Self.passwordFile("s3cret word\r\nsecond line\n")
        defer { directory.remove() }
        let password = try GatewayPassword.load(path: path)
        #expect(password.matches(Array("s3cret word".utf8)))
        for wrong in ["s3cret", "s3cret word\r", "s3cret word\r\nsecond line", "", "S3CRET WORD"] {
            #expect(!password.matches(Array(wrong.utf8)), "\(wrong)")
        }
    }

    @Test(arguments: [0o640, 0o604, 0o620, 0o700 | 0o001] as [mode_t])
    func aFileThatGroupOrOthersCanAccessIsRefused(_ mode: mode_t) throws {
        let (path, directory) = try Self.passwordFile("secret\n", mode: mode)
        defer { directory.remove() }
        #expect(throws: GatewayPassword.LoadError.unprotected(path: path, mode: UInt32(mode))) {
            try GatewayPassword.load(path: path)
        }
        let message = "\(GatewayPassword.LoadError.unprotected(path: path, mode: UInt32(mode)))"
        #expect(message.contains("chmod 600 \(path)"), "\(message)")
    }

    @Test func aFileOfAnotherUserIsRefused() throws {
        let (path, directory) = try Self.passwordFile("secret\n")
        defer { directory.remove() }
        // Another user than the file's owner, and not root, could change it.
        if geteuid() == 0 {
            #expect(chown(path, 65534, 65534) == 0)
            #expect(throws: GatewayPassword.LoadError.foreignOwner(path: path, owner: 65534, user: 0)) {
                try GatewayPassword.load(path: path)
            }
        } else {
            let other = geteuid() + 1
            #expect(throws: GatewayPassword.LoadError.foreignOwner(path: path, owner: geteuid(), user: other)) {
                try GatewayPassword.load(path: path, user: other)
            }
        }
    }

    @Test func anEmptyOrMissingFileIsRefused() throws {
        let (path, directory) = try Self.passwordFile("\nsecret\n")
        defer { directory.remove() }
        #expect(throws: GatewayPassword.LoadError.invalid(path: path, reason: "has an empty first line")) {
            try GatewayPassword.load(path: path)
        }
        #expect(throws: GatewayPassword.LoadError.unreadable(path: path + ".missing", errno: ENOENT)) {
            try GatewayPassword.load(path: path + ".missing")
        }
    }
}
