import KeyGateSystem
import Glibc
import Testing

@testable import KeyGateSockets

extension SocketTests {
    @Suite(.noDescriptorLeak)
    struct EventLoopTests {
        /// 1,000 clients and their 1,000 server connections in this process,
        /// each doing 100 round trips at once: the loop, the cooperative
        /// pool (two threads here) and the readiness bookkeeping must not
        /// lose a wakeup or mix up bytes.
        @Test(.timeLimit(.minutes(1)))
        func thousandConcurrentEchoClients() async throws {
            let clients = 1_000
            let roundTrips = 100
            let listener = try TCPListener.bind(to: loopback())
            let served = try await withThrowingTaskGroup(of: Int.self) { group in
                group.addTask {
                    try await withThrowingDiscardingTaskGroup { connections in
                        for _ in 0..<clients {
                            let connection = try await listener.accept(deadline: .after(testTimeout))
                            connections.addTask { try await echo(connection) }
                        }
                    }
                    return 0
                }
                for client in 0..<clients {
                    group.addTask {
                        let connection = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(testTimeout))
                        for round in 0..<roundTrips {
                            let message = Array("client \(client) round \(round);".utf8)
                            try await connection.write(message, deadline: .after(testTimeout))
                            let echoed = try await connection.readExactly(message.count, deadline: .after(testTimeout))
                            guard echoed == message else {
                                throw SystemError.invalidAddress("client \(client) got other bytes back")
                            }
                        }
                        await connection.close()
                        return 1
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(served == clients)
            await listener.close()
        }

        @Test func timersOfCompletedWaitsAreRemoved() async throws {
            let pair = try await ConnectedPair()
            let before = EventLoop.shared.timerCount
            let reader = Task { try await pair.client.read(deadline: .after(.seconds(60))) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            #expect(EventLoop.shared.timerCount == before + 1)
            try await pair.server.write([1], deadline: .after(testTimeout))
            #expect(try await reader.value == [1])
            #expect(EventLoop.shared.timerCount == before)
            await pair.close()
        }

        @Test func earlierDeadlineWakesTheLoop() async throws {
            // The loop sleeps towards the 60 s deadline of the first wait; the
            // second, shorter one must still fire on time.
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(.seconds(60))) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TimedOut(while: "read from \(pair.server.remoteAddress)")) {
                _ = try await pair.server.read(deadline: .after(.milliseconds(50)))
            }
            #expect(clock.now - start < .seconds(5))
            reader.cancel()
            _ = try? await reader.value
            await pair.close()
        }

        @Test func waitsWithLaterDeadlinesDoNotArmTheTimer() async throws {
            // Each wait ends long before its deadline, and each next
            // deadline is later than the expiry the timer is armed for:
            // one arming at most for the first, none for the rest (and
            // perhaps one re-arming, should an earlier test's expiry come).
            let pair = try await ConnectedPair()
            let before = EventLoop.shared.timerfdArmings
            for round in 0..<100 {
                let reader = Task { try await pair.client.read(deadline: .after(.seconds(60))) }
                #expect(await eventually { await pair.client.isWaiting(for: .read) })
                try await pair.server.write([UInt8(round)], deadline: .after(.seconds(60)))
                #expect(try await reader.value == [UInt8(round)])
            }
            #expect(EventLoop.shared.timerfdArmings - before <= 2)
            await pair.close()
        }

        @Test func deadlineLaterThanAnEndedWaitsStillFires() async throws {
            // The timer stays armed for the first wait's deadline after
            // that wait has ended; its expiry must re-arm the timer for the
            // second wait's later deadline.
            let pair = try await ConnectedPair()
            let first = Task { try await pair.client.read(deadline: .after(.milliseconds(100))) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            try await pair.server.write([1], deadline: .after(testTimeout))
            #expect(try await first.value == [1])
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TimedOut.self) {
                _ = try await pair.client.read(deadline: .after(.milliseconds(300)))
            }
            let waited = clock.now - start
            #expect(waited >= .milliseconds(250) && waited < .seconds(5))
            await pair.close()
        }

        @Test func newListenersDoNotWakeTheLoop() async throws {
            // Registered only once they listen, listeners report nothing
            // until a connection comes.
            let before = EventLoop.shared.turns
            for _ in 0..<50 {
                let listener = try TCPListener.bind(to: loopback())
                await listener.close()
            }
            #expect(EventLoop.shared.turns - before < 10)
        }

        @Test func eventsOfAClosedDescriptorDoNotReachItsSuccessor() async throws {
            // Close a connection and open another that reuses the
            // descriptor number: the successor gets a new generation, and
            // its reads see only its own data.
            let listener = try TCPListener.bind(to: loopback())
            let first = try await ConnectedPairOn(listener)
            let firstRegistration = await first.client.socket.registration
            try await first.server.write([1], deadline: .after(testTimeout))
            await first.client.close()
            let second = try await ConnectedPairOn(listener)
            let secondRegistration = await second.client.socket.registration
            #expect(secondRegistration.generation != firstRegistration.generation)
            #expect(secondRegistration.key != firstRegistration.key)
            try await second.server.write([2], deadline: .after(testTimeout))
            #expect(try await second.client.read(deadline: .after(testTimeout)) == [2])
            await first.server.close()
            await second.client.close()
            await second.server.close()
            await listener.close()
        }
    }
}
