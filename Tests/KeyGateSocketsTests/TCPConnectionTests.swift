import KeyGateSystem
import Glibc
import Testing

@testable import KeyGateSockets

extension SocketTests {
    @Suite(.noDescriptorLeak)
    struct TCPConnectionTests {
        @Test func bytesTravelBothWays() async throws {
            let pair = try await ConnectedPair()
            try await pair.client.write(Array("hello".utf8), deadline: .after(testTimeout))
            #expect(try await pair.server.readExactly(5, deadline: .after(testTimeout)) == Array("hello".utf8))
            try await pair.server.write([1, 2, 3], deadline: .after(testTimeout))
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == [1, 2, 3])
            try await pair.client.write([], deadline: .after(testTimeout))  // nothing to do
            await pair.close()
        }

        @Test func readReturnsWhatHasArrivedUpToTheLimit() async throws {
            let pair = try await ConnectedPair()
            try await pair.server.write(Array(0..<100), deadline: .after(testTimeout))
            let first = try #require(try await pair.client.read(upTo: 30, deadline: .after(testTimeout)))
            #expect(first == Array(0..<30))
            let rest = try await pair.client.readExactly(70, deadline: .after(testTimeout))
            #expect(rest == Array(30..<100))
            await pair.close()
        }

        @Test func endOfStreamIsNilAndStaysNil() async throws {
            let pair = try await ConnectedPair()
            try await pair.server.write([7, 8, 9], deadline: .after(testTimeout))
            await pair.server.shutdownWrite()
            #expect(try await pair.client.readExactly(3, deadline: .after(testTimeout)) == [7, 8, 9])
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == nil)
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == nil)
            // Half-closed: the other direction still works.
            try await pair.client.write([1], deadline: .after(testTimeout))
            #expect(try await pair.server.read(deadline: .after(testTimeout)) == [1])
            await pair.close()
        }

        @Test func endOfStreamWakesAPendingRead() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            await pair.server.close()
            #expect(try await reader.value == nil)
            await pair.close()
        }

        @Test func readExactlyReportsAnEarlyEndOfStream() async throws {
            let pair = try await ConnectedPair()
            try await pair.server.write([1, 2, 3], deadline: .after(testTimeout))
            await pair.server.close()
            await #expect(throws: SystemError.unexpectedEndOfStream(expected: 10, received: 3)) {
                _ = try await pair.client.readExactly(10, deadline: .after(testTimeout))
            }
            await pair.close()
        }

        @Test func readTimesOut() async throws {
            let pair = try await ConnectedPair()
            let clock = ContinuousClock()
            let start = clock.now
            await #expect(throws: TimedOut(while: "read from \(pair.client.remoteAddress)")) {
                _ = try await pair.client.read(deadline: .after(.milliseconds(100)))
            }
            let elapsed = clock.now - start
            #expect(elapsed >= .milliseconds(100) && elapsed < .seconds(5))
            // Data after the timeout is still delivered.
            try await pair.server.write([42], deadline: .after(testTimeout))
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == [42])
            await pair.close()
        }

        @Test func cancellingAPendingReadEndsItAndKeepsTheConnection() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            reader.cancel()
            await #expect(throws: CancellationError.self) { _ = try await reader.value }
            #expect(await !pair.client.isWaiting(for: .read))
            try await pair.server.write([5], deadline: .after(testTimeout))
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == [5])
            await pair.close()
        }

        @Test func readInAnAlreadyCancelledTaskEnds() async throws {
            let pair = try await ConnectedPair()
            let reader = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await pair.client.read(deadline: .after(testTimeout))
            }
            await #expect(throws: CancellationError.self) { _ = try await reader.value }
            await pair.close()
        }

        @Test func closingEndsAPendingRead() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            await pair.client.close()
            await #expect(throws: SystemError.closed) { _ = try await reader.value }
            await #expect(throws: SystemError.closed) { _ = try await pair.client.read() }
            await #expect(throws: SystemError.closed) { try await pair.client.write([1]) }
            #expect(await pair.client.isClosed)
            await pair.client.close()  // idempotent
            await pair.close()
        }

        @Test func secondConcurrentReadIsRefused() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            await #expect(throws: SystemError.operationInProgress("read")) {
                _ = try await pair.client.read(deadline: .after(testTimeout))
            }
            // The first read is undisturbed.
            try await pair.server.write([9], deadline: .after(testTimeout))
            #expect(try await reader.value == [9])
            await pair.close()
        }

        @Test func readAndWriteProceedConcurrently() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.readExactly(4, deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            try await pair.client.write([1, 2], deadline: .after(testTimeout))
            #expect(try await pair.server.readExactly(2, deadline: .after(testTimeout)) == [1, 2])
            try await pair.server.write([3, 4, 5, 6], deadline: .after(testTimeout))
            #expect(try await reader.value == [3, 4, 5, 6])
            await pair.close()
        }

        @Test func connectingToAClosedPortIsRefused() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let address = listener.localAddress
            await listener.close()
            do {
                _ = try await TCPConnection.connect(to: address, deadline: .after(testTimeout))
                Issue.record("connected to a closed port")
            } catch let error as SystemError {
                #expect(error == .callFailed(call: "connect", errno: ECONNREFUSED, address: address))
                #expect(error.description == "connect to \(address): connection refused")
            }
        }

        @Test func connectTimesOutWhenTheListenerBacklogIsFull() async throws {
            // A listener that never accepts, with a backlog of one: once its
            // queue is full the kernel drops further handshakes, so connect
            // waits until its deadline (all on 127.0.0.1).
            let listener = try TCPListener.bind(to: loopback(), backlog: 1)
            var connected: [TCPConnection] = []
            var timeout: TimedOut?
            let clock = ContinuousClock()
            var elapsed = Duration.zero
            for _ in 0..<16 {
                let start = clock.now
                do {
                    connected.append(try await TCPConnection.connect(to: listener.localAddress, deadline: .after(.milliseconds(200))))
                } catch let error as TimedOut {
                    elapsed = clock.now - start
                    timeout = error
                    break
                }
            }
            #expect(timeout == TimedOut(while: "connect to \(listener.localAddress)"))
            #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(5))
            for connection in connected { await connection.close() }
            await listener.close()
        }

        @Test func peerResetIsAnErrorNotEndOfStream() async throws {
            let pair = try await ConnectedPair()
            let reader = Task { try await pair.client.read(deadline: .after(testTimeout)) }
            #expect(await eventually { await pair.client.isWaiting(for: .read) })
            await pair.server.abort()
            await #expect {
                _ = try await reader.value
            } throws: { error in
                (error as? SystemError) == .callFailed(call: "read", errno: ECONNRESET, address: pair.client.remoteAddress)
            }
            await pair.close()
        }

        @Test func writingToAVanishedPeerFailsWithoutSignal() async throws {
            let pair = try await ConnectedPair()
            await pair.server.abort()
            var failure: SystemError?
            // The first writes may still be accepted locally; the reset
            // makes a later one fail (EPIPE or ECONNRESET, never SIGPIPE).
            for _ in 0..<100 {
                do {
                    try await pair.client.write(Array(repeating: 1, count: 65536), deadline: .after(testTimeout))
                } catch let error as SystemError {
                    failure = error
                    break
                }
            }
            let code = try #require(failure?.errno)
            #expect(code == EPIPE || code == ECONNRESET)
            await pair.close()
        }

        @Test func connectionReleasedWithoutCloseClosesItsSocket() async throws {
            let listener = try TCPListener.bind(to: loopback())
            let before = try openSocketDescriptors()
            do {
                let pair = try await ConnectedPairOn(listener)
                try await pair.client.write([1], deadline: .after(testTimeout))
                #expect(try await pair.server.read(deadline: .after(testTimeout)) == [1])
                #expect(try openSocketDescriptors() == before + 2)
            }
            #expect(try openSocketDescriptors() == before)
            await listener.close()
        }

        @Test(.enabled(if: hasIPv6Loopback(), "this machine has no IPv6 loopback (::1)"))
        func ipv6LoopbackRoundTrip() async throws {
            let pair = try await ConnectedPair(on: SocketAddress(host: "::1", port: 0))
            #expect(pair.listener.localAddress.isIPv6)
            #expect(pair.client.remoteAddress.description.hasPrefix("[::1]:"))
            #expect(pair.server.remoteAddress.host == "::1")
            try await pair.client.write(Array("over IPv6".utf8), deadline: .after(testTimeout))
            #expect(try await pair.server.readExactly(9, deadline: .after(testTimeout)) == Array("over IPv6".utf8))
            try await pair.server.write([6], deadline: .after(testTimeout))
            #expect(try await pair.client.read(deadline: .after(testTimeout)) == [6])
            await pair.close()
        }

        @Test func socketOptionsCanBeChanged() async throws {
            let pair = try await ConnectedPair()
            try await pair.client.setNoDelay(false)
            try await pair.client.setKeepAlive(true)
            await pair.client.close()
            await #expect(throws: SystemError.closed) { try await pair.client.setNoDelay(true) }
            await pair.close()
        }
    }
}

/// A connection to `listener` from both ends, closed when released.
struct ConnectedPairOn {
    let client: TCPConnection
    let server: TCPConnection

    init(_ listener: TCPListener) async throws {
        async let accepted = listener.accept(deadline: .after(testTimeout))
        client = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(testTimeout))
        server = try await accepted
    }
}

/// Whether ::1 can be bound, checked with plain system calls.
func hasIPv6Loopback() -> Bool {
    let descriptor = socket(AF_INET6, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in6()
    address.sin6_family = sa_family_t(AF_INET6)
    address.sin6_addr = in6addr_loopback
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) == 0
        }
    }
}

extension SocketTests.TCPConnectionTests {
    /// 256 MiB through one connection in writes of 64 MiB, far larger than
    /// the socket buffers, checked byte for byte against a pattern with a
    /// prime period so that a lost, repeated or reordered chunk shows.
    @Test(.timeLimit(.minutes(1)))
    func largeTransferArrivesExact() async throws {
        let total = 256 << 20
        let writeSize = 64 << 20
        let period = 251
        let readSize = 1 << 20
        // pattern[i] = i % 251; `expected` is long enough to compare any
        // read against the pattern from any phase.
        let base = (0..<period).map { UInt8($0) }
        let expected = repeated(base, count: readSize + period)
        let source = repeated(base, count: writeSize + period)

        let pair = try await ConnectedPair()
        async let sent: Void = {
            var offset = 0
            while offset < total {
                let phase = offset % period
                try await pair.client.write(Array(source[phase..<(phase + writeSize)]), deadline: .after(testTimeout))
                offset += writeSize
            }
            await pair.client.shutdownWrite()
        }()
        var received = 0
        var mismatchAt: Int?
        while let chunk = try await pair.server.read(upTo: readSize, deadline: .after(testTimeout)) {
            let phase = received % period
            let equal = chunk.withUnsafeBytes { chunk in
                expected.withUnsafeBytes { expected in
                    memcmp(chunk.baseAddress!, expected.baseAddress! + phase, chunk.count) == 0
                }
            }
            if !equal, mismatchAt == nil { mismatchAt = received }
            received += chunk.count
        }
        try await sent
        #expect(received == total)
        #expect(mismatchAt == nil)
        await pair.close()
    }

    /// `base` repeated to `count` bytes, by doubling (fast in debug builds).
    private func repeated(_ base: [UInt8], count: Int) -> [UInt8] {
        var bytes = base
        bytes.reserveCapacity(count)
        while bytes.count < count {
            // Appending a prefix whose start is a multiple of the period
            // keeps the pattern continuous.
            let length = min(bytes.count / base.count * base.count, count - bytes.count)
            bytes.append(contentsOf: bytes[0..<length])
        }
        return bytes
    }
}
