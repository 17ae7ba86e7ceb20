import KeyGateSystem
import KeyGateSockets

/// The socket layer on the loopback interface: one TCP connection through
/// `KeyGateSockets`, both ends in this process. Compare `loopback-bulk`
/// with `iperf3 -c 127.0.0.1` on the same machine.
enum SocketBenchmarks {
    static var all: [SpeedBenchmark] {
        [bulk(), requestResponse()]
    }

    /// Bytes moved per measured operation by `loopback-bulk`.
    static let bulkBytesPerOperation = 16 << 20
    /// Size of each write of `loopback-bulk`.
    static let bulkWriteSize = 1 << 20
    /// Largest read of `loopback-bulk`, the size of iperf3's buffer. Larger
    /// reads are slower here: each returns a fresh array, and filling a
    /// 1 MiB one runs out of the L2 cache while 128 KiB stays in it.
    static let bulkReadSize = 128 << 10
    /// Size of a request and of its response in `loopback-rr`.
    static let messageSize = 64
    /// Round trips per measured operation of `loopback-rr`.
    static let roundTripsPerOperation = 100

    /// One stream, writes of 1 MiB, reads of up to 128 KiB.
    static func bulk() -> SpeedBenchmark {
        SpeedBenchmark(name: "loopback-bulk", unit: .megabytesPerSecond(bytesPerOperation: bulkBytesPerOperation)) {
            let (sender, receiver) = try await connectedPair()
            let chunk = [UInt8](repeating: 0x5a, count: bulkWriteSize)
            return {
                async let sent: Void = {
                    for _ in 0..<(bulkBytesPerOperation / bulkWriteSize) {
                        try await sender.write(chunk)
                    }
                }()
                var received = 0
                while received < bulkBytesPerOperation {
                    guard let bytes = try await receiver.read(upTo: bulkReadSize) else {
                        throw SystemError.unexpectedEndOfStream(expected: bulkBytesPerOperation, received: received)
                    }
                    received += bytes.count
                }
                try await sent
            }
        }
    }

    /// 64-byte requests, each answered by a 64-byte response before the
    /// next is sent.
    static func requestResponse() -> SpeedBenchmark {
        SpeedBenchmark(
            name: "loopback-rr",
            unit: .eventsPerSecond(label: "round trips/s", eventsPerOperation: roundTripsPerOperation)
        ) {
            let (client, server) = try await connectedPair()
            let request = [UInt8](repeating: 0x42, count: messageSize)
            return {
                async let served: Void = {
                    for _ in 0..<roundTripsPerOperation {
                        let message = try await server.readExactly(messageSize)
                        try await server.write(message)
                    }
                }()
                for _ in 0..<roundTripsPerOperation {
                    try await client.write(request)
                    _ = try await client.readExactly(messageSize)
                }
                try await served
            }
        }
    }

    /// A connection on 127.0.0.1, as seen from both ends.
    static func connectedPair() async throws -> (TCPConnection, TCPConnection) {
        let listener = try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0))
        async let accepted = listener.accept(deadline: .after(.seconds(10)))
        let client = try await TCPConnection.connect(to: listener.localAddress, deadline: .after(.seconds(10)))
        let server = try await accepted
        await listener.close()
        return (client, server)
    }
}
