@testable import KeyGateServer
import Testing

/// The server-wide and per-key session counts a handshake reserves.
struct SessionLedgerTests {
    @Test func aKeyAtItsLimitIsRefusedWhileOtherKeysAreNot() throws {
        let ledger = SessionLedger(maximumSessions: 10, sessionsPerKey: 2)
        try ledger.reserve(for: "alice")
        try ledger.reserve(for: "alice")
        #expect(throws: SessionLedger.Refusal.keyFull) { try ledger.reserve(for: "alice") }
        try ledger.reserve(for: "bob")
        #expect(ledger.count == 3)
    }

    @Test func theServerLimitCountsEveryKeyAndARefusalTakesNoPlace() throws {
        let ledger = SessionLedger(maximumSessions: 2, sessionsPerKey: 5)
        try ledger.reserve(for: "alice")
        try ledger.reserve(for: "bob")
        #expect(throws: SessionLedger.Refusal.serverFull) { try ledger.reserve(for: "carol") }
        #expect(ledger.count == 2)
        ledger.release(of: "bob")
        try ledger.reserve(for: "carol")
        #expect(ledger.count == 2)
    }

    @Test func aReleasedPlaceCanBeTakenAgainByTheSameKey() throws {
        let ledger = SessionLedger(maximumSessions: 10, sessionsPerKey: 1)
        try ledger.reserve(for: "alice")
        ledger.release(of: "alice")
        try ledger.reserve(for: "alice")
        #expect(ledger.count == 1)
    }

    @Test func sessionNumbersStartAtOneAndNeverRepeat() {
        let ledger = SessionLedger(maximumSessions: 1, sessionsPerKey: 1)
        let numbers = (0..<100).map { _ in ledger.nextSessionID() }
        #expect(numbers.first == 1)
        #expect(Set(numbers).count == 100)
    }
}
