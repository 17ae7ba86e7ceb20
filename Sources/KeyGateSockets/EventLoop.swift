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
/// (`TimerQueue`) on the loop; the `epoll_wait` timeout is the time to the
/// nearest one, and the loop is woken through an eventfd only when a new
/// deadline is earlier than the one it sleeps towards, so no task sleeps to
/// time out a read, write, accept or connect. Deadlines on waits that are
/// not socket waits (`withDeadline` around a latch or a whole exchange)
/// are not the loop's: they race the operation against `Task.sleep`.
///
/// The loop, its epoll descriptor and its eventfd live as long as the
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
    /// `data.u64` of the wake-up eventfd; no registration key has all bits
    /// set, since descriptor numbers are far below 2^32 - 1.
    private static let wakeUpKey = UInt64.max

    private struct State {
        /// Indexed by descriptor number.
        var registrations: [Registration?] = []
        var lastGeneration: UInt32 = 0
        var timers = TimerQueue()
        /// The deadline the loop sleeps towards in `epoll_wait`; 0 while it
        /// is awake (it computes its next timeout before sleeping again),
        /// `UInt64.max` when it sleeps without a deadline.
        var sleepsUntil: UInt64 = 0
    }

    private let epoll: Int32
    private let wakeUpEvent: Int32
    private let state = Mutex(State())

    private init() throws(SystemError) {
        epoll = try SystemCall.runNow("epoll_create1") { ckg_epoll_create1(CKG_EPOLL_CLOEXEC) }
        let epoll = epoll
        do {
            wakeUpEvent = try SystemCall.runNow("eventfd") { ckg_eventfd(0, CKG_EFD_NONBLOCK | CKG_EFD_CLOEXEC) }
        } catch {
            Glibc.close(epoll)
            throw error
        }
        let wakeUpEvent = wakeUpEvent
        // Level-triggered: the loop drains the counter after each wake-up.
        try SystemCall.runNow("epoll_ctl") {
            ckg_epoll_ctl(epoll, CKG_EPOLL_CTL_ADD, wakeUpEvent, CKG_EPOLLIN, Self.wakeUpKey)
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

    /// Arms a timer that expires the waiter `waiterID` of `registration`.
    /// Returns the timer's id and whether the caller must `wakeUp()` the
    /// loop (done outside the caller's lock), because the new deadline is
    /// earlier than the one the loop sleeps towards.
    func addTimer(
        deadline: Deadline, registration: Registration, direction: Registration.Direction, waiterID: UInt64
    ) -> (id: UInt64, wakeUp: Bool) {
        state.withLock { state in
            let id = state.timers.insert(
                deadline: deadline, registration: registration, direction: direction, waiterID: waiterID)
            guard deadline.nanoseconds < state.sleepsUntil else { return (id, false) }
            state.sleepsUntil = deadline.nanoseconds
            return (id, true)
        }
    }

    /// Disarms a timer whose waiter finished otherwise; no effect once it
    /// has fired.
    func removeTimer(_ id: UInt64) {
        state.withLock { $0.timers.remove(id) }
    }

    /// Interrupts `epoll_wait` so the loop recomputes its timeout.
    func wakeUp() {
        var one: UInt64 = 1
        // EAGAIN means the counter is already non-zero: the loop wakes anyway.
        _ = Glibc.write(wakeUpEvent, &one, MemoryLayout<UInt64>.size)
    }

    /// The number of armed timers (for tests).
    var timerCount: Int {
        state.withLock { $0.timers.count }
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
            let timeout = state.withLock { state in
                Self.timeoutMilliseconds(until: state.timers.earliest, sleepsUntil: &state.sleepsUntil)
            }
            let count = ckg_epoll_wait(epoll, buffer, Int32(capacity), timeout)
            if count < 0 {
                let code = errno
                // EINTR: a signal handler ran; anything else means the epoll
                // descriptor itself is broken and no socket could progress.
                precondition(code == EINTR, "epoll_wait failed with errno \(code)")
                state.withLock { $0.sleepsUntil = 0 }
                continue
            }
            var wokenUp = false
            state.withLock { state in
                state.sleepsUntil = 0
                for index in 0..<Int32(count) {
                    var key: UInt64 = 0
                    let events = ckg_epoll_event_at(buffer, index, &key)
                    if key == Self.wakeUpKey {
                        wokenUp = true
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
                if state.timers.count > 0 {
                    state.timers.removeExpired(at: .now, into: &expired)
                }
            }
            if wokenUp {
                var counter: UInt64 = 0
                _ = Glibc.read(wakeUpEvent, &counter, MemoryLayout<UInt64>.size)
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

    /// The `epoll_wait` timeout for the earliest deadline, rounded up to
    /// whole milliseconds so the loop never wakes before it; -1 without one.
    private static func timeoutMilliseconds(until earliest: Deadline?, sleepsUntil: inout UInt64) -> Int32 {
        guard let earliest else {
            sleepsUntil = .max
            return -1
        }
        sleepsUntil = earliest.nanoseconds
        let now = Deadline.now
        guard earliest > now else { return 0 }
        let milliseconds = (earliest.nanoseconds - now.nanoseconds + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }
}
