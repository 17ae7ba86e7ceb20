import Glibc
import Synchronization

/// The one place where blocking work runs (file I/O, fsync, getaddrinfo,
/// writes to a terminal or a log): a fixed set of threads of its own, never
/// the cooperative pool, which has one thread per core and must only ever
/// wait on events. After SwiftNIO's NIOThreadPool and NonBlockingFileIO.
///
/// Work that must happen in order (one FTP session's file operations, the
/// lines of a log) goes through a `BlockingLane`: a lane runs its jobs one
/// at a time, in the order given, on whichever worker is free; different
/// lanes run side by side.
///
/// `@unchecked Sendable` at the C boundary: the job queue is guarded by a
/// pthread mutex with a condition the worker threads sleep on.
public final class BlockingExecutor: @unchecked Sendable {
    /// The executor of the process.
    public static let shared = BlockingExecutor(workerCount: defaultWorkerCount)

    /// Two per core, at least four: enough that a few slow disks or
    /// terminals do not hold up the rest.
    public static var defaultWorkerCount: Int { max(4, 2 * sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    public typealias Job = @Sendable () -> Void

    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private let workAvailable: UnsafeMutablePointer<pthread_cond_t>
    private var jobs: [Job] = []
    private var first = 0
    /// Workers asleep on `workAvailable`, waiting for a job.
    private var idle = 0
    /// The number of worker threads.
    public let workerCount: Int

    /// Starts `workerCount` workers, named `keygate-block`.
    public init(workerCount: Int) {
        precondition(workerCount > 0, "an executor needs a worker")
        self.workerCount = workerCount
        mutex = .allocate(capacity: 1)
        workAvailable = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(workAvailable, nil)
        for _ in 0..<workerCount {
            do {
                try SystemThread.spawn(name: "keygate-block") { [self] in work() }
            } catch {
                // Without its workers no file could ever be read: nothing
                // sensible remains at start-up.
                fatalError("\(error)")
            }
        }
    }

    /// Runs `job` on a worker, in no particular order with other jobs.
    ///
    /// A sleeping worker is woken only when there is one, and after the
    /// mutex is released: woken under it, the worker would at once block
    /// on the mutex the submitter still holds, a second sleep and wake-up
    /// for each job. (A worker that is awake takes the job when it next
    /// looks at the queue, under the mutex, so no job waits for a signal.)
    public func submit(_ job: @escaping Job) {
        pthread_mutex_lock(mutex)
        jobs.append(job)
        let wake = idle > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(workAvailable) }
    }

    /// The result of the blocking `work`, computed on a worker thread. Not
    /// cancellable: once queued the work runs to its end (cleanup must run
    /// on every path), and its error comes back with its own type.
    public func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
        }
        return try result.get()
    }

    /// A new lane of this executor.
    public func lane() -> BlockingLane {
        BlockingLane(executor: self)
    }

    private func work() -> Never {
        while true {
            pthread_mutex_lock(mutex)
            while first == jobs.count {
                idle += 1
                pthread_cond_wait(workAvailable, mutex)
                idle -= 1
            }
            let job = jobs[first]
            first += 1
            if first == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                first = 0
            }
            pthread_mutex_unlock(mutex)
            job()
        }
    }
}

/// Blocking work in order: jobs given to a lane run one at a time, in the
/// order given, on the workers of its `BlockingExecutor`.
public final class BlockingLane: Sendable {
    private struct State {
        var jobs: [BlockingExecutor.Job] = []
        var first = 0
        var running = false
    }

    private let executor: BlockingExecutor
    private let state = Mutex(State())

    init(executor: BlockingExecutor) {
        self.executor = executor
    }

    /// Queues `job` behind the lane's earlier jobs.
    public func submit(_ job: @escaping BlockingExecutor.Job) {
        let start = state.withLock { state -> Bool in
            state.jobs.append(job)
            defer { state.running = true }
            return !state.running
        }
        if start { executor.submit { self.runNext() } }
    }

    /// The result of the blocking `work`, run after the lane's earlier jobs.
    /// Not cancellable: once queued the work runs to its end (cleanup must
    /// run on every path), and its error comes back with its own type.
    public func run<T: Sendable, E: Error>(_ work: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            submit { continuation.resume(returning: Result { () throws(E) -> T in try work() }) }
        }
        return try result.get()
    }

    /// Returns once every job queued so far has run.
    public func drain() async {
        await run { () -> Void in }
    }

    /// Runs one job, then hands the worker back: a busy lane takes its turn
    /// with the others instead of keeping a worker for itself.
    private func runNext() {
        let job = state.withLock { state -> BlockingExecutor.Job in
            let job = state.jobs[state.first]
            state.first += 1
            return job
        }
        job()
        let more = state.withLock { state -> Bool in
            if state.first == state.jobs.count {
                state.jobs.removeAll(keepingCapacity: true)
                state.first = 0
                state.running = false
                return false
            }
            return true
        }
        if more { executor.submit { self.runNext() } }
    }
}
