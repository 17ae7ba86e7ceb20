import Glibc

/// The result of a system call that may find nothing to do yet.
public enum SystemCallResult<Value> {
    /// The call did its work and returned `Value`.
    case completed(Value)
    /// EAGAIN, EWOULDBLOCK or EINPROGRESS: nothing happened yet; wait for
    /// readiness and call again (or, for connect, check the outcome).
    case wouldBlock
}

extension SystemCallResult: Sendable where Value: Sendable {}

/// A failed system call's errno, as the `failure` of `SystemCall.run` for
/// callers that sort errnos themselves (`catch let error as Errno`).
public struct Errno: Error, Equatable, Sendable {
    public let code: Int32

    public init(_ code: Int32) {
        self.code = code
    }
}

/// The one place where system calls are made and their errors read: every
/// layer calls through here and names its own error.
public enum SystemCall {
    /// Runs `body`, a system call that returns -1 and sets errno on failure.
    ///
    /// errno is read right after the call, before anything else can change
    /// it. EINTR retries the call; EAGAIN, EWOULDBLOCK and EINPROGRESS come
    /// back as `.wouldBlock`, not as errors.
    ///
    /// Not for close(2): on Linux the descriptor is gone even when close
    /// reports EINTR, and retrying could close a descriptor reused meanwhile.
    ///
    /// - Parameter failure: the caller's error for an errno.
    /// - Throws: what `failure` makes of every other errno.
    @inline(__always)
    public static func run<Value: FixedWidthInteger, Failure: Error>(
        _ body: () -> Value, failure: (Int32) -> Failure
    ) throws(Failure) -> SystemCallResult<Value> {
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
                // A bad descriptor or pointer is a bug in the caller, not a
                // condition to handle: stop in debug builds to find it.
                assert(code != EBADF && code != EFAULT, "system call failed with errno \(code): descriptor misuse")
                throw failure(code)
            }
        }
    }

    /// Runs `body` for calls that never return "would block" (open, stat,
    /// bind, setsockopt, read of a regular file): EINTR is retried, any other
    /// failure, EAGAIN included, becomes `failure(errno)`.
    @inline(__always)
    @discardableResult
    public static func runNow<Value: FixedWidthInteger, Failure: Error>(
        _ body: () -> Value, failure: (Int32) -> Failure
    ) throws(Failure) -> Value {
        while true {
            let result = body()
            if result != -1 { return result }
            let code = errno
            if code == EINTR { continue }
            throw failure(code)
        }
    }
}
