@testable import KeyGateClient
import KeyGateFTP
import Testing

/// The overall progress line of a multi-file command: files, bytes of the
/// total, rate and time left.
struct TransferTallyTests {
    @Test func theLineShowsBytesOfTheTotalTheRateAndTheTimeLeft() {
        // 3 MB of 10 MB in 2 s: 1.5 MB/s, 7 MB left, 4.67 s rounded up.
        let line = TransferTally.progressLine(
            command: "put -r", done: 12, total: 1000, bytes: 3_000_000, totalBytes: 10_000_000, seconds: 2)
        #expect(line == "put -r  12/1000 files  3.0 MB / 10.0 MB  1.5 MB/s  ETA 0:05")
    }

    @Test func beforeAnythingMovesTheTimeLeftIsNotKnown() {
        let start = TransferTally.progressLine(command: "get -r", done: 0, total: 4, bytes: 0, totalBytes: 800, seconds: 0)
        #expect(start == "get -r  0/4 files  0.0 MB / 0.0 MB  0.0 MB/s  ETA --:--")
        let stalled = TransferTally.progressLine(command: "get -r", done: 0, total: 4, bytes: 0, totalBytes: 800, seconds: 3)
        #expect(stalled.hasSuffix("  0.0 MB/s  ETA --:--"))
    }

    @Test func withoutATotalThereIsNoTotalAndNoTimeLeft() {
        let line = TransferTally.progressLine(command: "mget", done: 1, total: 3, bytes: 2_500_000, totalBytes: nil, seconds: 1)
        #expect(line == "mget  1/3 files  2.5 MB  2.5 MB/s")
    }

    @Test func longTimesLeftShowHours() {
        // 1 MB/s with 3,723 MB left: 1 h 2 min 3 s.
        let line = TransferTally.progressLine(
            command: "mirror", done: 0, total: 1, bytes: 1_000_000, totalBytes: 3_724_000_000, seconds: 1)
        #expect(line.hasSuffix("  1.0 MB/s  ETA 1:02:03"), "\(line)")
        #expect(ProgressBar.clock(0) == "0:00")
        #expect(ProgressBar.clock(59) == "0:59")
        #expect(ProgressBar.clock(600) == "10:00")
        #expect(ProgressBar.clock(3599) == "59:59")
        #expect(ProgressBar.clock(3600) == "1:00:00")
        #expect(ProgressBar.clock(90_061) == "25:01:01")
    }

    @Test func moreBytesThanTheTotalLeaveNoTime() {
        let line = TransferTally.progressLine(command: "get -r", done: 2, total: 2, bytes: 900, totalBytes: 800, seconds: 1)
        #expect(line.hasSuffix("ETA 0:00"), "\(line)")
    }

    @Test func expectedSizesAddUpAndOneUnknownSizeMakesTheTotalUnknown() {
        let known = TransferTally(command: "put -r", json: true)
        known.expect([1_000_000, 2_000_000])
        known.expect([300_000])
        #expect(known.progressLine().contains("0/3 files  0.0 MB / 3.3 MB"))
        let unknown = TransferTally(command: "mget", json: true)
        unknown.expect([1_000_000, nil])
        #expect(!unknown.progressLine().contains(" / "))
        #expect(!unknown.progressLine().contains("ETA"))
    }

    @Test func transfersUnderWayCountUntilUntracked() {
        let tally = TransferTally(command: "get -r", json: true)
        tally.expect([5_000_000])
        let progress = TransferProgress()
        progress.add(1_000_000)  // already there (a resumed file): not counted
        let flight = tally.track(progress)
        progress.add(2_000_000)
        #expect(tally.progressLine().contains("0/1 files  2.0 MB / 5.0 MB"), "\(tally.progressLine())")
        tally.untrack(flight)
        #expect(tally.progressLine().contains("0/1 files  0.0 MB / 5.0 MB"), "\(tally.progressLine())")
    }
}
