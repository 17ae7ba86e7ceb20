import KeyGateSystem
import KeyGateSockets
import Synchronization

/// A TCP relay on 127.0.0.1 in front of a server's control port that keeps
/// a copy of every byte each way: what an eavesdropper on the path records.
public final class RecordingRelay: Sendable {
    /// The bytes of one relayed connection, each direction whole.
    public struct Recording: Sendable {
        public var fromClient: [UInt8] = []
        public var fromServer: [UInt8] = []
    }

    public let listener: TCPListener
    private let target: SocketAddress
    private let recordings = Mutex<[Int: Recording]>([:])
    private let task = Mutex<Task<Void, Never>?>(nil)

    private init(listener: TCPListener, target: SocketAddress) {
        self.listener = listener
        self.target = target
    }

    /// Starts relaying connections to `127.0.0.1:port`.
    public static func start(to port: UInt16) throws -> RecordingRelay {
        let relay = RecordingRelay(
            listener: try TCPListener.bind(to: SocketAddress(host: "127.0.0.1", port: 0)),
            target: try SocketAddress(host: "127.0.0.1", port: port))
        relay.task.withLock { $0 = Task { await relay.run() } }
        return relay
    }

    /// The port clients connect to instead of the server's.
    public var port: UInt16 { listener.localAddress.port }

    /// What was recorded so far, connection by connection in accept order.
    public var connections: [Recording] {
        recordings.withLock { recordings in recordings.keys.sorted().map { recordings[$0]! } }
    }

    public func stop() async {
        await listener.close()
        task.withLock { $0?.cancel() }
    }

    private func run() async {
        await withDiscardingTaskGroup { group in
            var index = 0
            while let client = try? await listener.accept() {
                let id = index
                index += 1
                recordings.withLock { $0[id] = Recording() }
                group.addTask { await self.relay(client, id: id) }
            }
        }
    }

    private func relay(_ client: TCPConnection, id: Int) async {
        guard let server = try? await TCPConnection.connect(to: target, deadline: .after(.seconds(10))) else {
            await client.close()
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.copy(from: client, to: server, id: id, fromClient: true) }
            group.addTask { await self.copy(from: server, to: client, id: id, fromClient: false) }
            await group.next()
            group.cancelAll()
        }
        await client.close()
        await server.close()
    }

    private func copy(from source: TCPConnection, to destination: TCPConnection, id: Int, fromClient: Bool) async {
        while let bytes = try? await source.read(upTo: 65536, deadline: .after(.seconds(30))) {
            recordings.withLock { recordings in
                if fromClient { recordings[id]?.fromClient += bytes } else { recordings[id]?.fromServer += bytes }
            }
            guard (try? await destination.write(bytes, deadline: .after(.seconds(30)))) != nil else { return }
        }
    }
}

/// The payloads of the frames in `bytes` (PROTOCOL.md section 1: a 2-byte
/// big-endian length, then that many bytes); a cut last frame is left out.
public func framePayloads(_ bytes: [UInt8]) -> [[UInt8]] {
    var payloads: [[UInt8]] = []
    var offset = 0
    while offset + 2 <= bytes.count {
        let length = Int(bytes[offset]) << 8 | Int(bytes[offset + 1])
        guard offset + 2 + length <= bytes.count else { break }
        payloads.append(Array(bytes[(offset + 2)..<(offset + 2 + length)]))
        offset += 2 + length
    }
    return payloads
}

/// `payload` as a frame.
public func frame(_ payload: [UInt8]) -> [UInt8] {
    [UInt8(payload.count >> 8), UInt8(payload.count & 0xff)] + payload
}
