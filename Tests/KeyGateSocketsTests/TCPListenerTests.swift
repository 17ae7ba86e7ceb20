import KeyGateSystem
import Glibc
import Testing

@testable import KeyGateSockets

extension SocketTests {
    @Suite(.noDescriptorLeak)
    struct TCPListenerTests {
        @Test func bindingToPortZeroReportsTheRealPort() async throws {
            let listener = try TCPListener.bind(to: loopback())
            #expect(listener.localAddress.port != 0)
            #expect(listener.localAddress.host == "127.0.0.1")
            await listener.close()
        }

        @Test func acceptReturnsBothAddresses() async throws {
            let pair = try await ConnectedPair()
            #expect(pair.server.remoteAddress == pair.client.localAddress)
            #expect(pair.server.localAddress == pair.listener.localAddress)
            #expect(pair.client.remoteAddress == pair.listener.localAddress)
            await pair.close()
        }

        @Test func wildcardListenerReportsTheConnectionsLocalAddress() async throws {
            let listener = try TCPListener.bind(to: SocketAddress(host: "0.0.0.0", port: 0))
            async let accepted = listener.accept(deadline: .after(testTimeout))
            let client = try await TCPConnection.connect(to: loopback(port: listener.localAddress.port), deadline: .after(testTimeout))
            let server = try await accepted
            #expect(server.localAddress == client.remoteAddress)
            await client.close()
            await server.close()
            await listener.close()
        }

        @Test func acceptTimesOut() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TimedOut(while: "accept on \(listener.localAddress)")) {
                _ = try await listener.accept(deadline: .after(.milliseconds(100)))
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(5))
            // The listener still works after a timeout.
            async let accepted = listener.accept(deadline: .after(testTimeout))
            let client = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(testTimeout))
            let server = try await accepted
            await client.close()
            await server.close()
            await listener.close()
        }

        @Test func cancellingAPendingAcceptEndsIt() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let acceptor = Task { try await listener.accept(deadline: .after(testTimeout)) }
            #expect(await eventually { await listener.isWaitingToAccept })
            acceptor.cancel()
            await #expect(throws: CancellationError.self) { _ = try await acceptor.value }
            #expect(await !listener.isWaitingToAccept)
            await listener.close()
        }

        @Test func acceptInAnAlreadyCancelledTaskEnds() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let acceptor = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await listener.accept(deadline: .after(testTimeout))
            }
            await #expect(throws: CancellationError.self) { _ = try await acceptor.value }
            await listener.close()
        }

        @Test func closingTheListenerEndsAPendingAccept() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let acceptor = Task { try await listener.accept(deadline: .after(testTimeout)) }
            #expect(await eventually { await listener.isWaitingToAccept })
            await listener.close()
            await #expect(throws: SystemError.closed) { _ = try await acceptor.value }
            await #expect(throws: SystemError.closed) { _ = try await listener.accept() }
            await listener.close()  // idempotent
        }

        @Test func secondConcurrentAcceptIsRefused() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let acceptor = Task { try await listener.accept(deadline: .after(testTimeout)) }
            #expect(await eventually { await listener.isWaitingToAccept })
            await #expect(throws: SystemError.operationInProgress("accept")) {
                _ = try await listener.accept(deadline: .after(testTimeout))
            }
            acceptor.cancel()
            _ = try? await acceptor.value
            await listener.close()
        }

        @Test func bindingAPortInUseFails() async throws {
            let first = try TCPListener.bind(to: loopback())
            #expect(throws: SystemError.callFailed(call: "bind", errno: EADDRINUSE, address: first.localAddress)) {
                _ = try TCPListener.bind(to: first.localAddress)
            }
            await first.close()
        }

        @Test func portRangeIsExhaustedWhenEveryPortIsTaken() async throws {
            // Three consecutive ports below the ephemeral range, so that no
            // outgoing connection of another process holds them; if another
            // program listens on one, try the next group.
            var listeners: [TCPListener] = []
            var range: ClosedRange<UInt16>?
            for base in stride(from: UInt16(23_000 + Int.random(in: 0..<2_000) * 3), to: 32_000, by: 3) {
                let candidate = base...(base + 2)
                listeners = []
                for _ in candidate {
                    guard let listener = try? TCPListener.bind(host: "127.0.0.1", portRange: candidate) else { break }
                    listeners.append(listener)
                }
                if listeners.count == 3 {
                    range = candidate
                    break
                }
                for listener in listeners { await listener.close() }
            }
            let taken = try #require(range)
            #expect(Set(listeners.map(\.localAddress.port)) == Set(taken))
            #expect(throws: SystemError.portRangeExhausted(host: "127.0.0.1", range: taken)) {
                _ = try TCPListener.bind(host: "127.0.0.1", portRange: taken)
            }
            let message = SystemError.portRangeExhausted(host: "127.0.0.1", range: taken).description
            #expect(message.contains("no free port"))
            for listener in listeners { await listener.close() }
        }

        @Test func listenerReleasedWithoutCloseClosesItsSocket() async throws {
            let before = try openSocketDescriptors()
            do {
                let listener = try TCPListener.bind(to: loopback())
                #expect(listener.localAddress.port != 0)
                #expect(try openSocketDescriptors() == before + 1)
            }
            #expect(try openSocketDescriptors() == before)
        }
    
        @Test(arguments: [0, 1, 2, 3, 99, 1000, 65535])
        func portsAreTriedInAnOrderThatVisitsEachOnce(count: Int) {
            for _ in 0..<5 {
                let order = Array(TCPListener.randomOrder(of: count))
                #expect(order.count == count)
                #expect(Set(order) == Set(0..<count))
            }
        }

        @Test func theFirstPortTriedVaries() {
            let firsts = Set((0..<64).compactMap { _ in TCPListener.randomOrder(of: 1000).first(where: { _ in true }) })
            #expect(firsts.count > 16)
        }
}
}
