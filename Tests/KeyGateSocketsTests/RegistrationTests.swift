import KeyGateSystem
import CKeyGateSystem
import Testing

@testable import KeyGateSockets

/// The waiter state machine on its own, driven by hand instead of by epoll:
/// every outcome resumes the waiting task exactly once.
extension SocketTests {
    struct RegistrationTests {
        /// A registration that is not in epoll; its events come from the test.
        private func makeRegistration() -> Registration {
            Registration(descriptor: Int32.max, generation: 1, loop: .shared)
        }

        @Test func readinessAfterTheSnapshotIsNotLost() async {
            let registration = makeRegistration()
            let sequence = registration.sequence(for: .read)
            // The edge arrives between the "system call" and the wait.
            registration.signal(events: CKG_EPOLLIN)
            #expect(await registration.wait(for: .read, since: sequence, deadline: nil) == .ready)
        }

        @Test func eventResumesTheMatchingWaiterOnly() async {
            let registration = makeRegistration()
            let sequence = registration.sequence(for: .read)
            async let outcome = registration.wait(for: .read, since: sequence, deadline: nil)
            #expect(await eventually { registration.isWaiting(for: .read) })
            registration.signal(events: CKG_EPOLLOUT)  // the other direction
            #expect(registration.isWaiting(for: .read))
            registration.signal(events: CKG_EPOLLIN)
            #expect(await outcome == .ready)
            #expect(!registration.isWaiting(for: .read))
        }

        @Test func hangUpWakesBothDirections() async {
            let registration = makeRegistration()
            let read = registration.sequence(for: .read)
            let write = registration.sequence(for: .write)
            registration.signal(events: CKG_EPOLLHUP)
            #expect(registration.readSnapshot().hasHungUp)
            #expect(await registration.wait(for: .read, since: read, deadline: nil) == .ready)
            #expect(await registration.wait(for: .write, since: write, deadline: nil) == .ready)
        }

        @Test func deadlineExpiresTheWaiterAndDisarmsItsTimer() async {
            let registration = makeRegistration()
            let timers = EventLoop.shared.timerCount
            let outcome = await registration.wait(
                for: .write, since: registration.sequence(for: .write), deadline: .after(.milliseconds(20)))
            #expect(outcome == .timedOut)
            #expect(EventLoop.shared.timerCount == timers)
        }

        @Test func pastDeadlineTimesOutAtOnce() async {
            let registration = makeRegistration()
            let outcome = await registration.wait(
                for: .read, since: registration.sequence(for: .read), deadline: .after(.zero))
            #expect(outcome == .timedOut)
        }

        @Test func closeResumesBothWaitersAndLaterWaits() async {
            let registration = makeRegistration()
            async let reading = registration.wait(for: .read, since: registration.sequence(for: .read), deadline: nil)
            async let writing = registration.wait(for: .write, since: registration.sequence(for: .write), deadline: nil)
            #expect(await eventually { registration.isWaiting(for: .read) && registration.isWaiting(for: .write) })
            registration.close()
            #expect(await reading == .closed)
            #expect(await writing == .closed)
            #expect(await registration.wait(for: .read, since: registration.sequence(for: .read), deadline: nil) == .closed)
            registration.close()  // idempotent
        }

        @Test func cancellationBeforeAndAfterTheWaiterIsStored() async {
            let registration = makeRegistration()
            let early = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await registration.wait(for: .read, since: registration.sequence(for: .read), deadline: nil)
            }
            #expect(await early.value == .cancelled)
            let late = Task {
                await registration.wait(for: .read, since: registration.sequence(for: .read), deadline: .after(.seconds(60)))
            }
            #expect(await eventually { registration.isWaiting(for: .read) })
            late.cancel()
            #expect(await late.value == .cancelled)
            #expect(!registration.isWaiting(for: .read))
            // A later event finds no waiter to resume a second time.
            registration.signal(events: CKG_EPOLLIN)
        }
    }
}
