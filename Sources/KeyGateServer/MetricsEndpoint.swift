import KeyGateSystem
import KeyGateSockets
import Synchronization

/// A tiny HTTP/1.1 responder for Prometheus (`--metrics HOST:PORT`): on
/// the project's event loop, one request per connection.
///
/// `GET /metrics` (or `HEAD`) is answered 200 with the text `render`
/// returns; any other path 404, any other method 405, a request line that
/// is not HTTP 400. The request's head (request line and headers) must
/// arrive within `headTimeout` and fit in `maximumHeadByteCount`: a slower
/// client is closed without an answer, a longer head gets 431. At most
/// `maximumConnections` are served at once; more are closed at once.
public final class MetricsEndpoint: Sendable {
    /// The largest request head read: 8 KiB.
    public static let maximumHeadByteCount = 8 * 1024
    /// The time a client has to send its request head.
    public static let headTimeout: Duration = .seconds(5)
    /// Connections served at once.
    public static let maximumConnections = 16
    /// The content type of the text exposition format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// Where it listens (the real port when 0 was asked).
    public let address: SocketAddress
    private let listener: TCPListener
    private let render: @Sendable () async -> String
    private let log: Log
    /// Connections being served.
    private let active = Atomic<Int>(0)

    private init(listener: TCPListener, render: @escaping @Sendable () async -> String, log: Log) {
        self.listener = listener
        address = listener.localAddress
        self.render = render
        self.log = log
    }

    /// Binds `address`.
    /// - Throws: `SystemError` when it cannot be bound.
    public static func start(
        on address: SocketAddress, log: Log, render: @escaping @Sendable () async -> String
    ) throws(SystemError) -> MetricsEndpoint {
        MetricsEndpoint(listener: try TCPListener.bind(to: address, backlog: 64), render: render, log: log)
    }

    /// Serves until `stop()` (or cancellation).
    public func run() async {
        log.info("metrics", ["listen": address.description, "path": "/metrics"])
        await withDiscardingTaskGroup { group in
            while let connection = await nextConnection() {
                guard active.add(1, ordering: .relaxed).newValue <= Self.maximumConnections else {
                    active.subtract(1, ordering: .relaxed)
                    await connection.close()
                    continue
                }
                group.addTask {
                    await self.serve(connection)
                    await connection.close()
                    self.active.subtract(1, ordering: .relaxed)
                }
            }
            group.cancelAll()
        }
    }

    /// The next connection, or nil once the listener is closed or the task
    /// cancelled; other failures (EMFILE) pause the loop briefly.
    private func nextConnection() async -> TCPConnection? {
        while !Task.isCancelled {
            do {
                return try await listener.accept()
            } catch let error as SystemError {
                if case .closed = error { return nil }
                log.error("metrics: accept failed", ["reason": error.description])
                try? await Task.sleep(for: .milliseconds(100))
            } catch {
                return nil
            }
        }
        return nil
    }

    /// Stops listening; `run()` returns once the requests being answered are.
    public func stop() async {
        await listener.close()
    }

    /// Reads one request head and answers it; the caller closes.
    private func serve(_ connection: TCPConnection) async {
        let deadline = Deadline.after(Self.headTimeout)
        var head: [UInt8] = []
        while HTTPRequestHead.end(of: head) == nil {
            guard head.count < Self.maximumHeadByteCount else {
                await answer(connection, HTTPResponse(status: 431, reason: "Request Header Fields Too Large"))
                return
            }
            // Never read past the limit: a client cannot make the server buffer more.
            let room = Self.maximumHeadByteCount + 4 - head.count
            guard let bytes = try? await connection.read(upTo: room, deadline: deadline) else { return }
            head += bytes
        }
        let response: HTTPResponse
        switch HTTPRequestHead(parsing: head) {
        case nil:
            response = HTTPResponse(status: 400, reason: "Bad Request")
        case let request? where request.method != "GET" && request.method != "HEAD":
            response = HTTPResponse(status: 405, reason: "Method Not Allowed", headers: [("Allow", "GET, HEAD")])
        case let request? where request.path != "/metrics":
            response = HTTPResponse(status: 404, reason: "Not Found")
        case let request?:
            let body = await render()
            response = HTTPResponse(status: 200, reason: "OK", contentType: Self.contentType, body: body, bodyOmitted: request.method == "HEAD")
        }
        await answer(connection, response)
    }

    /// Writes `response`, then closes gently: our side first, then what
    /// the client still sends is read and dropped (at most `drainByteCount`,
    /// within `drainTimeout`), so that unread bytes do not make the kernel
    /// reset the connection before the client has read the answer.
    private func answer(_ connection: TCPConnection, _ response: HTTPResponse) async {
        guard (try? await connection.write(response.bytes, deadline: .after(Self.headTimeout))) != nil else { return }
        await connection.shutdownWrite()
        let deadline = Deadline.after(Self.drainTimeout)
        var drained = 0
        while drained < Self.drainByteCount, let bytes = try? await connection.read(deadline: deadline) {
            drained += bytes.count
        }
    }

    /// What is read of a request after the answer, at most.
    static let drainByteCount = 64 * 1024
    /// How long the client gets to close after the answer.
    static let drainTimeout: Duration = .seconds(1)
}
