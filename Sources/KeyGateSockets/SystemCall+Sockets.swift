import KeyGateSystem

/// The socket calls of this layer, through the one system-call helper,
/// naming the call and the address in `SystemError`.
extension SystemCall {
    /// `SystemCall.run` for a socket call: would-block as a value, every
    /// other failure as `SystemError.callFailed(call, errno, address)`.
    @inline(__always)
    static func run<Value: FixedWidthInteger>(
        _ call: String, address: SocketAddress? = nil, _ body: () -> Value
    ) throws(SystemError) -> SystemCallResult<Value> {
        try run(body) { SystemError.callFailed(call: call, errno: $0, address: address) }
    }

    /// `SystemCall.runNow` for a socket call that cannot block.
    @inline(__always)
    @discardableResult
    static func runNow<Value: FixedWidthInteger>(
        _ call: String, address: SocketAddress? = nil, _ body: () -> Value
    ) throws(SystemError) -> Value {
        try runNow(body) { SystemError.callFailed(call: call, errno: $0, address: address) }
    }
}
