@testable import KeyGateFTP
import Testing

/// Every transition of the data side of a session, legal and not, with
/// stand-ins for the listener, the data connection and the transfer: no
/// sockets, no files.
struct DataPhaseTests {
    struct Listener: Identifiable, Equatable { let id: Int }
    struct Job: Identifiable, Equatable { let id: Int }
    typealias Connection = String
    typealias Phase = DataPhase<Listener, Connection, Job>

    static let listener = Listener(id: 1)
    static let job = Job(id: 7)
    static let queued: [FTPRequest] = [.noop, .printDirectory]

    /// One phase in each state, as a session reaches it.
    static func phases() -> [Phase] {
        [
            .idle,
            .listening(listener),
            .connected("early"),
            .waiting(.init(job: job, listener: listener)),
            .moving(.init(job: job, connection: "data", queued: [])),
        ]
    }

    // MARK: State

    @Test func whatEachStateReports() {
        let expected: [(job: Job?, offered: Bool)] = [
            (nil, false), (nil, true), (nil, true), (Self.job, false), (Self.job, false),
        ]
        for (phase, expected) in zip(Self.phases(), expected) {
            #expect(phase.job == expected.job, "\(phase)")
            #expect(phase.isOffered == expected.offered, "\(phase)")
            #expect(phase.queuedCount == 0, "\(phase)")
        }
    }

    // MARK: Passive listeners

    @Test func givingUpPassiveReturnsTheListenerOrUnusedConnection() {
        var listening = Phase.listening(Self.listener)
        #expect(listening.giveUpPassive() == .listener(Self.listener))
        #expect(listening == .idle)
        var connected = Phase.connected("early")
        #expect(connected.giveUpPassive() == .connection("early"))
        #expect(connected == .idle)
    }

    @Test func givingUpPassiveLeavesATransferAlone() {
        for phase in [Phase.idle, .waiting(.init(job: Self.job, listener: Self.listener)),
                      .moving(.init(job: Self.job, connection: "data", queued: []))] {
            var changed = phase
            #expect(changed.giveUpPassive() == nil)
            #expect(changed == phase)
        }
    }

    @Test func listeningAfterIdle() {
        var phase = Phase.idle
        phase.listen(on: Self.listener)
        #expect(phase == .listening(Self.listener))
    }

    @Test func aConnectionForTheListenerIsKept() {
        var phase = Phase.listening(Self.listener)
        #expect(phase.connectionArrived(on: Self.listener.id, "early") == .kept)
        #expect(phase == .connected("early"))
    }

    @Test func noConnectionForTheListenerExpiresIt() {
        var phase = Phase.listening(Self.listener)
        #expect(phase.connectionArrived(on: Self.listener.id, nil) == .expired)
        #expect(phase == .idle)
    }

    @Test func aConnectionForTheWaitingTransferStartsIt() {
        var phase = Phase.waiting(.init(job: Self.job, listener: Self.listener, queued: Self.queued))
        #expect(phase.connectionArrived(on: Self.listener.id, "data") == .move(Self.job, "data"))
        #expect(phase == .moving(.init(job: Self.job, connection: "data", queued: Self.queued)))
    }

    @Test func noConnectionForTheWaitingTransferReleasesItWithItsQueue() {
        var phase = Phase.waiting(.init(job: Self.job, listener: Self.listener, queued: Self.queued))
        #expect(phase.connectionArrived(on: Self.listener.id, nil) == .expiredWhileWaiting(Self.job, queued: Self.queued))
        #expect(phase == .idle)
    }

    /// A connection (or a timeout) of a listener that is no longer the
    /// session's changes nothing, in every state.
    @Test(arguments: [Optional("late"), nil])
    func anArrivalForAnotherListenerIsStale(connection: Connection?) {
        for phase in Self.phases() {
            var changed = phase
            #expect(changed.connectionArrived(on: 99, connection) == .stale, "\(phase)")
            #expect(changed == phase)
        }
    }

    // MARK: Transfers

    @Test func aTransferAfterPassiveWaitsForItsConnection() {
        var phase = Phase.listening(Self.listener)
        #expect(phase.begin(Self.job) == .waits)
        #expect(phase == .waiting(.init(job: Self.job, listener: Self.listener)))
    }

    @Test func aTransferAfterAnEarlyConnectionMovesAtOnce() {
        var phase = Phase.connected("early")
        #expect(phase.begin(Self.job) == .moves("early"))
        #expect(phase == .moving(.init(job: Self.job, connection: "early", queued: [])))
    }

    /// Without EPSV or PASV first, or with a transfer in progress, a
    /// transfer command is refused and the phase does not change.
    @Test func aTransferWithoutPassiveIsNotOffered() {
        for phase in [Phase.idle, .waiting(.init(job: Self.job, listener: Self.listener)),
                      .moving(.init(job: Self.job, connection: "data", queued: []))] {
            var changed = phase
            #expect(changed.begin(Job(id: 8)) == .notOffered, "\(phase)")
            #expect(changed == phase)
        }
    }

    @Test func commandsQueueOnlyBehindATransfer() {
        for (index, phase) in Self.phases().enumerated() {
            var changed = phase
            let hasTransfer = phase.job != nil
            #expect(changed.queue(Self.queued) == hasTransfer, "\(phase)")
            #expect(changed.queue([.system]) == hasTransfer)
            #expect(changed.queuedCount == (hasTransfer ? 3 : 0))
            if !hasTransfer { #expect(changed == phase, "state \(index)") }
        }
    }

    @Test func transferEndedReturnsTheMoverAndGoesIdle() {
        var phase = Phase.moving(.init(job: Self.job, connection: "data", stop: .abort, queued: Self.queued))
        #expect(phase.transferEnded(8) == nil)
        #expect(phase.job == Self.job)
        #expect(phase.transferEnded(Self.job.id) == .init(job: Self.job, connection: "data", stop: .abort, queued: Self.queued))
        #expect(phase == .idle)
    }

    /// Only a moving transfer ends: in any other state the end of a mover
    /// changes nothing.
    @Test func transferEndedWithoutAMoverChangesNothing() {
        for phase in Self.phases() where phase.job == nil || phase.isWaiting {
            var changed = phase
            #expect(changed.transferEnded(Self.job.id) == nil, "\(phase)")
            #expect(changed == phase)
        }
    }

    // MARK: ABOR and QUIT

    @Test(arguments: [Phase.Stop.abort, .quit])
    func abortWithoutATransferGivesUpPassive(stop: Phase.Stop) {
        var idle = Phase.idle
        #expect(idle.abort(stop) == .noTransfer(nil))
        #expect(idle == .idle)
        var listening = Phase.listening(Self.listener)
        #expect(listening.abort(stop) == .noTransfer(.listener(Self.listener)))
        #expect(listening == .idle)
        var connected = Phase.connected("early")
        #expect(connected.abort(stop) == .noTransfer(.connection("early")))
        #expect(connected == .idle)
    }

    @Test(arguments: [Phase.Stop.abort, .quit])
    func abortOfAWaitingTransferReleasesItAndItsListener(stop: Phase.Stop) {
        var phase = Phase.waiting(.init(job: Self.job, listener: Self.listener, queued: Self.queued))
        #expect(phase.abort(stop) == .unstarted(Self.job, Self.listener, queued: Self.queued))
        #expect(phase == .idle)
    }

    @Test(arguments: [Phase.Stop.abort, .quit])
    func abortOfAMovingTransferStopsItsConnection(stop: Phase.Stop) {
        var phase = Phase.moving(.init(job: Self.job, connection: "data", queued: Self.queued))
        #expect(phase.abort(stop) == .stopping("data"))
        #expect(phase == .moving(.init(job: Self.job, connection: "data", stop: stop, queued: Self.queued)))
    }

    /// QUIT after ABOR still ends the session; ABOR after QUIT does not
    /// undo it.
    @Test func theStrongerStopWins() {
        var phase = Phase.moving(.init(job: Self.job, connection: "data", queued: []))
        _ = phase.abort(.abort)
        _ = phase.abort(.quit)
        #expect(phase.transferEnded(Self.job.id)?.stop == .quit)
        var reversed = Phase.moving(.init(job: Self.job, connection: "data", queued: []))
        _ = reversed.abort(.quit)
        _ = reversed.abort(.abort)
        #expect(reversed.transferEnded(Self.job.id)?.stop == .quit)
    }

    /// A whole session: passive, transfer, a command queued behind it, the
    /// end, then passive again.
    @Test func aSessionGoesRoundAndIsIdleAgain() {
        var phase = Phase.idle
        phase.listen(on: Self.listener)
        #expect(phase.begin(Self.job) == .waits)
        let queuedBehind = phase.queue([.noop])
        #expect(queuedBehind)
        #expect(phase.connectionArrived(on: Self.listener.id, "data") == .move(Self.job, "data"))
        #expect(phase.queuedCount == 1)
        #expect(phase.transferEnded(Self.job.id)?.queued == [.noop])
        #expect(phase == .idle)
        let queuedWhenIdle = phase.queue([.noop])
        #expect(!queuedWhenIdle)
        phase.listen(on: Listener(id: 2))
        #expect(phase.isOffered)
    }
}

extension DataPhase {
    /// Whether a transfer waits for its data connection.
    fileprivate var isWaiting: Bool {
        if case .waiting = self { true } else { false }
    }
}
