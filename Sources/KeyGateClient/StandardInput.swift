import KeyGateSystem
import Glibc

/// Standard input as an async sequence, read by a dedicated thread: a
/// blocking read of a terminal, pipe or file never occupies the cooperative
/// thread pool. The thread reads only as fast as the input is used (a
/// bounded handoff), so a large script is not buffered ahead of the network.
public enum StandardInput {
    /// Whether standard input is a terminal (interactive use).
    public static var isTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// Lines waiting between the reading thread and their reader, at most.
    static let lineCapacity = 16
    /// The size of each read: with the lines waiting, the most of the input
    /// read ahead of its use.
    static let readSize = 16 * 1024

    /// The lines of standard input, without their line endings, ending at EOF.
    public static func lines() -> some AsyncSequence<String, Never> {
        lines(of: STDIN_FILENO)
    }

    /// The lines read from `descriptor` (tests give a pipe).
    static func lines(of descriptor: Int32) -> InputHandoff<String> {
        let handoff = InputHandoff<String>(capacity: lineCapacity)
        startThread {
            var pending: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: readSize)
            reading: while true {
                guard let count = try? SystemCall.runNow({ read(descriptor, &buffer, buffer.count) }, failure: Errno.init),
                      count > 0
                else { break }
                pending.append(contentsOf: buffer[0..<count])
                var start = 0
                while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    guard handoff.put(line(pending[start..<newline])) else { break reading }
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty { _ = handoff.put(line(pending[...])) }
            handoff.finish()
        }
        return handoff
    }

    /// Raw chunks of standard input (for the terminal line editor), ending at EOF.
    public static func chunks() -> some AsyncSequence<[UInt8], Never> {
        let handoff = InputHandoff<[UInt8]>(capacity: lineCapacity)
        startThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                guard let count = try? SystemCall.runNow({ read(STDIN_FILENO, &buffer, buffer.count) }, failure: Errno.init),
                      count > 0, handoff.put(Array(buffer[0..<count]))
                else { break }
            }
            handoff.finish()
        }
        return handoff
    }

    private static func line(_ bytes: ArraySlice<UInt8>) -> String {
        var bytes = bytes
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func startThread(_ body: @escaping @Sendable () -> Void) {
        do {
            try SystemThread.spawn(name: "keygate-stdin", body)
        } catch {
            // Out of threads or memory at startup: nothing sensible remains.
            fatalError("cannot start the thread that reads standard input: \(error)")
        }
    }
}
