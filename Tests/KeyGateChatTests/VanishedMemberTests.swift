import KeyGateSystem
import Foundation
import KeyGateChannel
import KeyGateChat
import KeyGateClient
import KeyGateKeys
import KeyGateServer
import KeyGateSockets
import KeyGateTestSupport
import Testing

/// A member whose machine vanishes (no FIN, no reset) leaves the room once
/// dead-peer detection gives up on it.
@Suite(.exclusiveNetwork)
struct VanishedMemberTests {
    /// The `keygate` executable next to the test bundle.
    static var keygatePath: String {
        let bundle = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        return URL(fileURLWithPath: bundle).deletingLastPathComponent().appendingPathComponent("keygate").path
    }

    @Test func deadPeerDetectionSetsTheKernelsOptions() async throws {
        let detection = TCPConnection.DeadPeerDetection(idle: .seconds(7), interval: .seconds(2), probes: 4)
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        let client = try await TCPConnection.connect(to: listener.localAddress)
        let accepted = try await listener.accept()
        try await accepted.detectDeadPeer(detection)
        let settings = try await accepted.keepAliveSettings()
        #expect(settings.on && settings.idle == 7 && settings.interval == 2 && settings.probes == 4)
        #expect(settings.userTimeout == 15_000)
        #expect(ServerConfiguration.defaultDeadPeerDetection.limit == .seconds(90))
        await client.close()
        await accepted.close()
        await listener.close()
    }

    /// A real second machine (a network namespace) joins, then its link is
    /// cut: with probes after 1 s, every second, 2 of them, the others see
    /// it leave within a few seconds instead of never.
    @Test(.enabled(if: NetworkNamespace.isAvailable, "needs root and iproute2 for a network namespace"))
    func aMemberWhoseMachineVanishesLeavesTheRoom() async throws {
        let namespace = try await onFileThread { try NetworkNamespace() }
        defer { namespace.remove() }
        let server = try await TestServer.start(services: [ChatService(log: .silent)]) {
            $0.listenAddress = try! SocketAddress(host: "0.0.0.0", port: 0)
            $0.deadPeerDetection = TCPConnection.DeadPeerDetection(idle: .seconds(1), interval: .seconds(1), probes: 2)
        }
        let alice = try await GateClient.connect(try await server.client("alice"))
        #expect(try await ChatServiceTests.events(from: alice) { $0 == .joined("alice") } == [.joined("alice")])
        let far = try await server.client("far")
        let process = try namespace.start([
            Self.keygatePath, "chat", "\(namespace.hostAddress):\(server.port)",
            "--keys", far.keys.directory, "--name", "far",
        ])
        defer { if process.isRunning { process.terminate() } }
        _ = try await ChatServiceTests.events(from: alice) { $0 == .joined("far") }
        let cut = ContinuousClock.now
        try await onFileThread { try namespace.cutLink() }
        let events = try await ChatServiceTests.events(from: alice) { $0 == .left("far") }
        #expect(events.last == .left("far"))
        #expect(ContinuousClock.now - cut < .seconds(15))
        await alice.channel.close()
        await server.stopAndRemove()
    }
}
