#if canImport(Glibc)
import Glibc
#endif

/// Stops the process with `message` unless `condition` holds: libFuzzer
/// reports the abort as a crash and saves the input that caused it.
/// Used for the properties a target asserts (round trips, error kinds).
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    guard !condition else { return }
    let report = Array("fuzz check failed at \(file):\(line): \(message())\n".utf8)
    _ = report.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    abort()
}

/// Reads an input front to back: the first bytes choose what a target
/// does, the rest is data.
struct FuzzInput {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ data: UnsafePointer<UInt8>?, _ count: Int) {
        bytes = count > 0 ? Array(UnsafeBufferPointer(start: data, count: count)) : []
    }

    var isAtEnd: Bool { offset == bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next `count` bytes, or fewer at the end.
    mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, offset + count)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }

    /// The next `count` bytes, padded with zeros at the end: for inputs of
    /// a fixed size (keys, nonces), so that every input has them.
    mutating func bytes(exactly count: Int) -> [UInt8] {
        let taken = bytes(count)
        return taken + [UInt8](repeating: 0, count: count - taken.count)
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        bytes(bytes.count - offset)
    }
}
