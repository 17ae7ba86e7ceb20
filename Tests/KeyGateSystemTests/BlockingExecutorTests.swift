import Glibc
import KeyGateSystem
import Synchronization
import Testing

/// Blocking work runs on the executor's own threads; a lane keeps order.
struct BlockingExecutorTests {
    @Test func workRunsOffTheCallersThreadAndReturnsItsResult() async throws {
        let executor = BlockingExecutor(workerCount: 2)
        let result = await executor.run { () -> String in
            // The thread's name, as /proc shows it.
            let path = "/proc/thread-self/comm"
            guard let file = fopen(path, "r") else { return "" }
            defer { fclose(file) }
            var name = [CChar](repeating: 0, count: 32)
            _ = fgets(&name, Int32(name.count), file)
            return String(decoding: name.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
        #expect(result == "keygate-block")
        struct Failure: Error {}
        await #expect(throws: Failure.self) { try await executor.run { () throws -> Int in throw Failure() } }
    }

    /// A thousand jobs on one lane, each appending its number: they run one
    /// at a time, in order, although the executor has four workers.
    @Test func aLaneRunsItsJobsInOrderAndOneAtATime() async {
        let executor = BlockingExecutor(workerCount: 4)
        let lane = executor.lane()
        let order = Mutex<[Int]>([])
        let running = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        for index in 0..<1000 {
            lane.submit {
                if running.add(1, ordering: .relaxed).newValue > 1 { overlapped.store(true, ordering: .relaxed) }
                order.withLock { $0.append(index) }
                running.subtract(1, ordering: .relaxed)
            }
        }
        await lane.drain()
        #expect(order.withLock { $0 } == Array(0..<1000))
        let didOverlap = overlapped.load(ordering: .relaxed)
        #expect(!didOverlap)
    }

    /// Jobs given one at a time to sleeping workers, and many at once from
    /// several tasks: each wakes a worker (none is lost, though the wake-up
    /// follows the mutex's release) and all of them run.
    @Test(.timeLimit(.minutes(1)))
    func everyJobRunsWhetherTheWorkersSleepOrAreBusy() async {
        let executor = BlockingExecutor(workerCount: 3)
        for index in 0..<500 {
            #expect(await executor.run { index } == index)
        }
        let ran = RunCount()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<500 {
                        await executor.run { () -> Void in ran.count.add(1, ordering: .relaxed) }
                    }
                }
            }
        }
        #expect(ran.count.load(ordering: .relaxed) == 4000)
    }

    /// A lane blocked on a slow job does not hold up another lane.
    @Test func lanesRunSideBySide() async {
        let executor = BlockingExecutor(workerCount: 2)
        let slow = executor.lane()
        let quick = executor.lane()
        let released = Atomic<Bool>(false)
        slow.submit {
            while !released.load(ordering: .relaxed) { usleep(1000) }
        }
        await quick.run { () -> Void in }
        released.store(true, ordering: .relaxed)
        await slow.drain()
    }
}

/// A count the jobs of several tasks add to.
private final class RunCount: Sendable {
    let count = Atomic<Int>(0)
}
