import CKeyGateSystem

/// Marks which bytes are secret and which results are public, for the
/// constant-time checker (`Benchmarks/ct-check.sh`).
///
/// The checker runs every primitive under valgrind's memcheck with its
/// secret inputs marked undefined: memcheck then reports each branch, memory
/// index and system call argument that depends on a secret (the ctgrind
/// technique, as BoringSSL's CONSTANT_TIME_VALIDATION). Production code calls
/// `declassify` where a value derived from secrets is public by design: the
/// outcome of a tag comparison, a public key, a ciphertext. Everything else
/// derived from a secret stays secret, so a new branch on it is reported.
///
/// In normal builds every function here is an empty inline function and
/// costs nothing; the requests exist only when the package is compiled with
/// `-Xcc -DKEYGATE_CONSTANT_TIME_VALIDATION`, which only the checker's build
/// passes. They are C functions in `CKeyGateSystem` because a valgrind client
/// request is inline assembly from valgrind's header; Swift only wraps them.
public enum ConstantTimeValidation {
    /// Whether this build carries the client requests (the checker's build).
    public static var isEnabled: Bool { CKG_CONSTANT_TIME_VALIDATION != 0 }

    /// Whether the process runs under valgrind.
    public static var isRunningUnderValgrind: Bool { ckg_ct_running_under_valgrind() != 0 }

    /// The errors valgrind has reported so far (0 outside valgrind).
    public static var errorCount: Int { Int(ckg_ct_error_count()) }

    /// Marks the bytes of `buffer` as secret: from now on memcheck reports
    /// every branch or memory index that depends on them.
    @inlinable @inline(__always)
    public static func markSecret(_ buffer: UnsafeRawBufferPointer) {
        ckg_ct_mark_secret(buffer.baseAddress, buffer.count)
    }

    /// Marks the bytes of `bytes` as secret (see the buffer variant).
    @inlinable @inline(__always)
    public static func markSecret(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { markSecret($0) }
    }

    /// Marks the bytes of `value` as secret (see the buffer variant).
    @inlinable @inline(__always)
    public static func markSecret<Value: BitwiseCopyable>(_ value: inout Value) {
        withUnsafeBytes(of: &value) { markSecret($0) }
    }

    /// Marks the bytes of `buffer` as public: they were computed from
    /// secrets but are meant to be seen (a public key, a ciphertext).
    @inlinable @inline(__always)
    public static func declassify(_ buffer: UnsafeRawBufferPointer) {
        ckg_ct_declassify(buffer.baseAddress, buffer.count)
    }

    /// Marks the bytes of `bytes` as public (see the buffer variant).
    @inlinable @inline(__always)
    public static func declassify(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { declassify($0) }
    }

    /// `value`, marked public: for a decision computed in constant time
    /// from secrets whose outcome is public (a tag matched or not, a key
    /// was zero), just before the code branches on it.
    @inlinable @inline(__always)
    public static func declassify<Value: BitwiseCopyable>(_ value: Value) -> Value {
        var copy = value
        withUnsafeBytes(of: &copy) { declassify($0) }
        return copy
    }

    /// Whether every bit of `buffer` is marked secret. Always false outside
    /// valgrind; the checker uses it to prove its inputs are poisoned.
    public static func isSecret(_ buffer: UnsafeRawBufferPointer) -> Bool {
        ckg_ct_is_secret(buffer.baseAddress, buffer.count) != 0
    }

    /// Whether every bit of `bytes` is marked secret (see the buffer variant).
    public static func isSecret(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { isSecret($0) }
    }
}
