import KeyGateSystem
import Glibc
import KeyGateTestSupport
import Testing

/// `keygate serve` under a service manager: the notifications it sends to
/// `$NOTIFY_SOCKET`, read from a fake socket.
@Suite(.exclusiveNetwork)
struct ServeNotifyTests {
    @Test(arguments: [false, true])
    func readyReloadingReadyAndStopping(abstract: Bool) async throws {
        let socket = try FakeNotifySocket(abstract: abstract)
        defer { socket.remove() }
        let server = try await ServeProcess.start(
            config: "listen 127.0.0.1:0\ndata-ports 23170-23179\nservices chat\nsuites Noise_XX_25519_ChaChaPoly_SHA256\n",
            environment: ["NOTIFY_SOCKET": socket.name])
        defer { server.remove() }
        #expect(await socket.receive() == "READY=1\nSTATUS=serving on 127.0.0.1:\(server.port)")
        server.send(SIGHUP)
        let reloading = try #require(await socket.receive())
        let lines = reloading.split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && lines[0] == "RELOADING=1" && lines[2] == "STATUS=reloading", "\(reloading)")
        // MONOTONIC_USEC: this machine's CLOCK_MONOTONIC, in microseconds.
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
        let sent = try #require(lines.count > 1 ? Int64(lines[1].dropFirst("MONOTONIC_USEC=".count)) : nil)
        #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
        #expect(sent <= microseconds && microseconds - sent < 60_000_000)
        #expect(await socket.receive() == "READY=1\nSTATUS=serving on 127.0.0.1:\(server.port)")
        server.process.terminate()
        #expect(await socket.receive() == "STOPPING=1\nSTATUS=stopping")
        #expect(await server.stop() == 0)
    }

    @Test func aSocketThatCannotBeReachedIsLoggedAndTheServerRuns() async throws {
        let server = try await ServeProcess.start(
            config: "listen 127.0.0.1:0\ndata-ports 23180-23189\nservices chat\nsuites Noise_XX_25519_ChaChaPoly_SHA256\n",
            environment: ["NOTIFY_SOCKET": "/nonexistent/notify"])
        defer { server.remove() }
        let warning = try #require(await server.line(containing: "service manager problem="))
        #expect(warning.contains("cannot notify the service manager at /nonexistent/notify"))
        #expect(await server.stop() == 0)
    }
}
