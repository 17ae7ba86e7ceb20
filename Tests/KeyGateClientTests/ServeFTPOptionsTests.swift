import KeyGateSystem
import Foundation
import Glibc
import KeyGateTestSupport
import Testing

/// `keygate serve`'s FTP flags are checked before anything starts: a bad
/// value is a usage error (exit 2) that says what to give instead.
struct ServeFTPOptionsTests {
    static func serve(_ flags: [String]) async throws -> (status: Int32, stderr: String) {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let outcome = try await KeygateBinary.run([
            "serve", "--keys", directory.appending("keys"), "--listen", "127.0.0.1:0", "--data-ports", "22960-22969",
            "--ftp-root", directory.appending("root"),
        ] + flags)
        return (outcome.status, outcome.stderr)
    }

    @Test(arguments: ["fast", "0", "-1M", "10MB"])
    func aMaximumRateThatIsNotABytesCountIsRefused(rate: String) async throws {
        let (status, stderr) = try await Self.serve(["--ftp-max-rate", rate])
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("--ftp-max-rate must be a positive number of bytes"), "\(stderr)")
    }

    @Test func aTransferLogThatCannotBeOpenedStopsTheStart() async throws {
        let (status, stderr) = try await Self.serve(["--xferlog", "/nonexistent-folder/xferlog"])
        #expect(status == 1, "\(stderr)")
        #expect(stderr.contains("cannot start") && stderr.contains("/nonexistent-folder/xferlog"), "\(stderr)")
    }

    @Test func aQuotaNeedsAHomePerClientAndASize() async throws {
        let (status, stderr) = try await Self.serve(["--ftp-quota", "10M"])
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("--ftp-quota limits each client's own home, so it needs --ftp-home-per-client"), "\(stderr)")
        let (badStatus, badStderr) = try await Self.serve(["--ftp-quota", "lots", "--ftp-home-per-client"])
        #expect(badStatus == 2 && badStderr.contains("--ftp-quota must be a positive number of bytes"), "\(badStderr)")
    }
}
