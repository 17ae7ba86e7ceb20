import Glibc

/// The result of a system call on a non-blocking descriptor.
enum SystemCallResult<Value> {
    /// The call did its work and returned `Value`.
    case completed(Value)
    /// EAGAIN, EWOULDBLOCK or EINPROGRESS: nothing happened yet; wait for
    /// readiness and call again (or, for connect, check the outcome).
    case wouldBlock
}

extension SystemCallResult: Sendable where Value: Sendable {}

/// The one place where system calls on sockets are made and their errors
/// interpreted.
enum SystemCall {
    /// Runs `body`, a system call that returns -1 and sets errno on failure.
    ///
    /// errno is read right after the call, before anything else can change
    /// it. EINTR retries the call; EAGAIN, EWOULDBLOCK and EINPROGRESS come
    /// back as `.wouldBlock`, not as errors.
    ///
    /// Not for close(2): on Linux the descriptor is gone even when close
    /// reports EINTR, and retrying could close a descriptor reused meanwhile.
    ///
    /// - Throws: `SystemError.callFailed` naming `call`, with errno and
    ///   `address`, for every other error.
    @inline(__always)
    static func run<Value: FixedWidthInteger>(
        _ call: String, address: SocketAddress? = nil, _ body: () -> Value
    ) throws(SystemError) -> SystemCallResult<Value> {
        while true {
            let result = body()
            if result != -1 {
                return .completed(result)
            }
            let code = errno
            switch code {
            case EINTR:
                continue
            case EAGAIN, EWOULDBLOCK, EINPROGRESS:
                return .wouldBlock
            default:
                // A bad descriptor or pointer is a bug in this module, not a
                // network condition: stop in debug builds to find it.
                assert(code != EBADF && code != EFAULT, "\(call) failed with errno \(code): descriptor misuse")
                throw .callFailed(call: call, errno: code, address: address)
            }
        }
    }

    /// Runs `body` like `run(_:address:_:)` for calls that cannot block
    /// (socket, bind, setsockopt, ...): "would block" is not expected there
    /// and is reported as the error it is.
    @inline(__always)
    @discardableResult
    static func runNow<Value: FixedWidthInteger>(
        _ call: String, address: SocketAddress? = nil, _ body: () -> Value
    ) throws(SystemError) -> Value {
        switch try run(call, address: address, body) {
        case let .completed(value):
            return value
        case .wouldBlock:
            throw .callFailed(call: call, errno: EAGAIN, address: address)
        }
    }
}
