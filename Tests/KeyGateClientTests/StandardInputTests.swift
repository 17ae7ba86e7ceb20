import KeyGateSystem
import Glibc
@testable import KeyGateClient
import KeyGateTestSupport
import Synchronization
import Testing

/// Standard input is read only as fast as its lines are used.
struct StandardInputTests {
    /// What the writer of a pipe managed so far.
    final class Writer: Sendable {
        let written = Atomic<Int>(0)
        let sawFullPipe = Atomic<Bool>(false)
        let done = Atomic<Bool>(false)
        var writtenSoFar: Int { written.load(ordering: .relaxed) }
        var hasSeenAFullPipe: Bool { sawFullPipe.load(ordering: .relaxed) }
        var hasFinished: Bool { done.load(ordering: .relaxed) }
    }

    /// A 20 MB script into a pipe, whose reader takes one line and stops:
    /// the reading thread holds back, and the writer is held up by the pipe
    /// once a bounded amount is in flight. Then every line arrives, in order.
    @Test func aLargeScriptIsNotReadFarAheadOfItsUse() async throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let (readEnd, writeEnd) = (ends[0], ends[1])
        _ = fcntl(writeEnd, F_SETFL, fcntl(writeEnd, F_GETFL) | O_NONBLOCK)
        let lineCount = 200_000
        let writer = Writer()
        Task.detached {
            _ = try? await onFileThread {
                for index in 0..<lineCount {
                    var line = Array("line \(index) ".utf8)
                    line += [UInt8](repeating: UInt8(ascii: "x"), count: 100 - line.count - 1) + [UInt8(ascii: "\n")]
                    var offset = 0
                    while offset < line.count {
                        let count = line.withUnsafeBytes { write(writeEnd, $0.baseAddress! + offset, line.count - offset) }
                        if count > 0 {
                            offset += count
                            writer.written.add(count, ordering: .relaxed)
                        } else if errno == EAGAIN {
                            writer.sawFullPipe.store(true, ordering: .relaxed)
                            usleep(1000)
                        } else {
                            return
                        }
                    }
                }
                close(writeEnd)
                writer.done.store(true, ordering: .relaxed)
            }
        }
        var lines = StandardInput.lines(of: readEnd).makeAsyncIterator()
        #expect(await lines.next()?.hasPrefix("line 0 ") == true)
        #expect(await eventually { writer.hasSeenAFullPipe })
        // In flight at most: the lines waiting, one read, the pipe's own
        // buffer (64 KiB by default), and a line being written.
        let bound = StandardInput.lineCapacity * 100 + StandardInput.readSize + 1 << 20 + 100
        let inFlight = writer.writtenSoFar
        #expect(inFlight < bound)
        #expect(inFlight < 2 << 20, "not 20 MB")
        var count = 1
        while let line = await lines.next() {
            #expect(line.hasPrefix("line \(count) "))
            count += 1
        }
        #expect(count == lineCount)
        #expect(writer.hasFinished)
        close(readEnd)
    }

    @Test func theLastLineNeedsNoNewlineAndCarriageReturnsGo() async {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        let text = Array("one\r\ntwo\nthree".utf8)
        _ = text.withUnsafeBytes { write(ends[1], $0.baseAddress!, $0.count) }
        close(ends[1])
        var received: [String] = []
        for await line in StandardInput.lines(of: ends[0]) { received.append(line) }
        #expect(received == ["one", "two", "three"])
        close(ends[0])
    }
}
