import KeyGateSystem
import CKeyGateSystem
import Glibc
import Synchronization

/// The one thread that waits for socket readiness and deadlines, and
/// resumes the tasks waiting for them.
///
/// **Threading.** A dedicated pthread runs `epoll_wait` in a loop; it never
/// runs user code, only bumps readiness sequences and resumes
/// continuations. Async code never blocks: it tries its non-blocking system
/// call on the caller's thread first and only suspends (on a continuation
/// stored in the socket's `Registration`) when the call would block. The
/// cooperative thread pool is therefore never held by a wait.
///
/// **Edge-triggered, registered once.** Each socket is added to epoll once,
/// with `EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET`, when it is created or
/// accepted, and removed when it is closed. Level-triggered interest would
/// need an `epoll_ctl` to arm and another to disarm around every wait (or
/// it would report a writable socket on every turn of the loop), which is
/// two system calls per read or write that blocks; edge-triggered interest
/// costs nothing per operation. The price of edge triggering is that an
/// edge can fall between a system call returning EAGAIN and the waiter
/// being stored, and would then be lost. Each registration therefore counts
/// edges in a per-direction sequence number: an operation reads the
/// sequence before its system call and waits "since" that value, so an edge
/// that arrived in between makes the wait return at once (see
/// `Registration.wait`). Operations wait only after EAGAIN (or a short
/// transfer, which for TCP means the same), as edge triggering requires.
///
/// **Generations.** `epoll_event.data.u64` carries the descriptor number and
/// a generation that is new for every registration. Events are looked up
/// in a table indexed by descriptor number and dropped when the generation
/// differs, so an event for a descriptor that was closed and whose number
/// was reused meanwhile never reaches the new socket.
///
/// **Deadlines.** The deadline of a socket wait is a timer in a min-heap
/// (`TimerQueue`) on the loop, so no task sleeps to time out a read, write,
/// accept or connect. One timerfd in the epoll set wakes the loop for
/// them: it is armed (timerfd_settime, by whichever thread adds the timer)
/// only when a new deadline is earlier than the expiry it is armed for, and
/// never disarmed when a wait ends first. Nearly every wait ends long
/// before its deadline, and the next wait's deadline is then usually later
/// than the armed expiry, so a wait costs no system call and no wake-up of
/// the loop; when the armed expiry comes with nothing due, the loop re-arms
/// for the earliest pending deadline. Deadlines on waits that are not socket
/// waits (`withDeadline` around a latch or a whole exchange) are not the
/// loop's: they race the operation against `Task.sleep`.
///
/// The loop, its epoll descriptor and its timerfd live as long as the
/// process.
final class EventLoop: Sendable {
    /// The process's event loop, started on first use.
    static let shared: EventLoop = {
        do {
            return try EventLoop()
        } catch {
            // Without its loop no socket can wait; this happens only when the
            // process is out of descriptors or memory at its first socket.
            fatalError("cannot start the socket event loop: \(error)")
        }
    }()

    /// The most events taken from the kernel per `epoll_wait`.
    private static let eventCapacity = 1024
    /// `data.u64` of the deadline timerfd; no registration key has all bits
    /// set, since descriptor numbers are far below 2^32 - 1.
    private static let timerKey = UInt64.max

    private struct State {
        /// Indexed by descriptor number.
        var registrations: [Registration?] = []
        var lastGeneration: UInt32 = 0
        var timers = TimerQueue()
        /// When the timerfd is armed to expire (nanoseconds on
        /// CLOCK_MONOTONIC); nil while it is not armed, or has expired and
        /// the loop has not yet re-armed it. Every pending deadline is at or
        /// after it, or the loop re-arms before it sleeps again.
        var armedUntil: UInt64?
        /// How many times the timerfd was armed (for tests).
        var armings = 0
        /// How many times `epoll_wait` returned events (for tests).
        var turns = 0
    }

    private let epoll: Int32
    private let timer: Int32
    private let state = Mutex(State())

    private init() throws(SystemError) {
        epoll = try SystemCall.runNow("epoll_create1") { ckg_epoll_create1(CKG_EPOLL_CLOEXEC) }
        let epoll = epoll
        do {
            timer = try SystemCall.runNow("timerfd_create") {
                ckg_timerfd_create_monotonic(CKG_TFD_NONBLOCK | CKG_TFD_CLOEXEC)
            }
        } catch {
            Glibc.close(epoll)
            throw error
        }
        let timer = timer
        // Level-triggered: the loop reads the expiry count after each expiry.
        try SystemCall.runNow("epoll_ctl") {
            ckg_epoll_ctl(epoll, CKG_EPOLL_CTL_ADD, timer, CKG_EPOLLIN, Self.timerKey)
        }
        try startThread()
    }

    /// Adds `descriptor` to epoll, edge-triggered, for `events` (EPOLL* bits
    /// without EPOLLET), and returns its new registration.
    /// - Throws: `SystemError` when epoll_ctl fails (ENOMEM, or the limit of
    ///   `max_user_watches`).
    func register(descriptor: Int32, events: UInt32) throws(SystemError) -> Registration {
        precondition(descriptor >= 0)
        let registration = state.withLock { state in
            state.lastGeneration &+= 1
            let registration = Registration(descriptor: descriptor, generation: state.lastGeneration, loop: self)
            let index = Int(descriptor)
            if index >= state.registrations.count {
                state.registrations.append(
                    contentsOf: repeatElement(nil, count: max(index + 1, state.registrations.count * 2) - state.registrations.count))
            }
            state.registrations[index] = registration
            return registration
        }
        do {
            let epoll = epoll
            try SystemCall.runNow("epoll_ctl") {
                ckg_epoll_ctl(epoll, CKG_EPOLL_CTL_ADD, descriptor, events | CKG_EPOLLET, registration.key)
            }
        } catch {
            removeFromTable(registration)
            throw error
        }
        return registration
    }

    /// Removes `registration` from epoll and from the table. Call it while
    /// the descriptor is still open, just before closing it.
    func deregister(_ registration: Registration) {
        removeFromTable(registration)
        // Closing the descriptor would remove it from epoll too, but only
        // once no other descriptor refers to the same open file (a child
        // between fork and exec); removing it explicitly is exact.
        _ = ckg_epoll_ctl(epoll, CKG_EPOLL_CTL_DEL, registration.descriptor, 0, 0)
    }

    private func removeFromTable(_ registration: Registration) {
        state.withLock { state in
            let index = Int(registration.descriptor)
            if index < state.registrations.count, state.registrations[index] === registration {
                state.registrations[index] = nil
            }
        }
    }

    /// Arms a timer that expires the waiter `waiterID` of `registration`,
    /// and returns its id. Arms the timerfd (one system call) only when the
    /// deadline is earlier than the expiry it is armed for.
    func addTimer(
        deadline: Deadline, registration: Registration, direction: Registration.Direction, waiterID: UInt64
    ) -> UInt64 {
        state.withLock { state in
            let id = state.timers.insert(
                deadline: deadline, registration: registration, direction: direction, waiterID: waiterID)
            if let armed = state.armedUntil, armed <= deadline.nanoseconds { return id }
            arm(at: deadline.nanoseconds, &state)
            return id
        }
    }

    /// Arms the timerfd for `nanoseconds`; called under the loop's lock, so
    /// that two threads arming at once leave it at the earlier deadline.
    private func arm(at nanoseconds: UInt64, _ state: inout State) {
        // It fails only for a bad descriptor or value; the loop's timerfd
        // lives as long as the process and every value is valid.
        let result = ckg_timerfd_arm_at(timer, nanoseconds)
        precondition(result == 0, "timerfd_settime failed with errno \(errno)")
        state.armedUntil = nanoseconds
        state.armings += 1
    }

    /// Disarms a timer whose waiter finished otherwise; no effect once it
    /// has fired.
    func removeTimer(_ id: UInt64) {
        state.withLock { $0.timers.remove(id) }
    }

    /// The number of armed timers (for tests).
    var timerCount: Int {
        state.withLock { $0.timers.count }
    }

    /// How many times the timerfd has been armed so far (for tests).
    var timerfdArmings: Int {
        state.withLock { $0.armings }
    }

    /// How many times the loop has woken with events so far (for tests).
    var turns: Int {
        state.withLock { $0.turns }
    }

    private func startThread() throws(SystemError) {
        do {
            try SystemThread.spawn(name: "keygate-epoll") { self.run() }
        } catch {
            throw .callFailed(call: "pthread_create", errno: error.code, address: nil)
        }
    }

    private func run() -> Never {
        let capacity = Self.eventCapacity
        let buffer = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * CKG_EPOLL_EVENT_SIZE, alignment: MemoryLayout<UInt64>.alignment)
        var ready: [(registration: Registration, events: UInt32)] = []
        ready.reserveCapacity(capacity)
        var expired: [TimerQueue.Entry] = []
        while true {
            // No timeout: the timerfd wakes the loop for deadlines.
            let count = ckg_epoll_wait(epoll, buffer, Int32(capacity), -1)
            if count < 0 {
                let code = errno
                // EINTR: a signal handler ran; anything else means the epoll
                // descriptor itself is broken and no socket could progress.
                precondition(code == EINTR, "epoll_wait failed with errno \(code)")
                continue
            }
            state.withLock { state in
                state.turns += 1
                var expiry = false
                for index in 0..<Int32(count) {
                    var key: UInt64 = 0
                    let events = ckg_epoll_event_at(buffer, index, &key)
                    if key == Self.timerKey {
                        expiry = true
                        continue
                    }
                    let descriptor = Int(UInt32(truncatingIfNeeded: key))
                    guard descriptor < state.registrations.count,
                          let registration = state.registrations[descriptor],
                          registration.generation == UInt32(truncatingIfNeeded: key >> 32)
                    else {
                        continue  // a stale event for a closed descriptor
                    }
                    ready.append((registration, events))
                }
                if expiry {
                    // Under the lock, so no thread arms it between the read
                    // and the re-arming below.
                    var expirations: UInt64 = 0
                    _ = Glibc.read(timer, &expirations, MemoryLayout<UInt64>.size)
                    state.armedUntil = nil
                }
                if state.timers.count > 0 {
                    state.timers.removeExpired(at: .now, into: &expired)
                }
                if expiry, let earliest = state.timers.earliest {
                    arm(at: earliest.nanoseconds, &state)
                }
            }
            // Resume outside the loop's lock: resuming takes registration
            // locks, which are never taken under the loop's lock.
            for (registration, events) in ready {
                registration.signal(events: events)
            }
            for timer in expired {
                timer.registration.expire(timer.direction, waiterID: timer.waiterID)
            }
            ready.removeAll(keepingCapacity: true)
            expired.removeAll(keepingCapacity: true)
        }
    }
}
