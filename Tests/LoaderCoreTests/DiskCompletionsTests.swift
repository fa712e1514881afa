import Foundation
import Testing
@testable import LoaderCore

/// The kernel's completed-I/O count biolatency checks its histograms against, read from a
/// /proc/diskstats written by the test.
@Suite struct DiskCompletionsTests {
    /// A diskstats line: reads completed, writes completed, in flight, discards, flushes (the
    /// other fields hold values that must not be summed).
    static func line(_ major: Int, _ minor: Int, _ name: String, reads: Int, writes: Int, inFlight: Int,
                     discards: Int = 0, flushes: Int = 0) -> String {
        "\(major) \(minor) \(name) \(reads) 901 902 903 \(writes) 905 906 907 \(inFlight) 909 910 \(discards) 912 913 914 \(flushes) 916"
    }

    final class Stats {
        let path = NSTemporaryDirectory() + "diskstats-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        func write(_ lines: [String]) { try? (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test func countsOnlyWhatNeitherTheToolNorTheInFlightIOsExplain() {
        let stats = Stats()
        stats.write([Self.line(7, 0, "loop0", reads: 100, writes: 50, inFlight: 3),
                     Self.line(8, 0, "sda", reads: 1000, writes: 1000, inFlight: 0)])
        let check = DiskCompletions(diskstats: stats.path) { major, _ in major == 7 }
        // 40 reads, 5 writes, 2 discards and 1 flush completed since; 3 were in flight at the start.
        // The flush is not counted: its empty write is, among the writes.
        stats.write([Self.line(7, 0, "loop0", reads: 140, writes: 55, inFlight: 0, discards: 2, flushes: 1),
                     Self.line(8, 0, "sda", reads: 5000, writes: 5000, inFlight: 0)])
        #expect(check.newlyUnseen(check.snapshot(), counted: 44, lost: 0) == 0)  // 47 - 3 in flight
        #expect(check.newlyUnseen(check.snapshot(), counted: 40, lost: 0) == 4)
        // reported once: the same shortfall again is nothing new, a bigger one only its growth
        #expect(check.newlyUnseen(check.snapshot(), counted: 40, lost: 0) == 0)
        #expect(check.newlyUnseen(check.snapshot(), counted: 38, lost: 0) == 2)
        // I/Os the tool reported lost (its maps full) are not reported twice
        #expect(check.newlyUnseen(check.snapshot(), counted: 30, lost: 15) == 0)
    }

    @Test func aDeviceAddedLaterCountsFromZeroAndOneGoneCountsNothing() {
        let stats = Stats()
        stats.write([Self.line(7, 0, "loop0", reads: 10, writes: 0, inFlight: 0)])
        let check = DiskCompletions(diskstats: stats.path) { _, _ in true }
        stats.write([Self.line(7, 1, "loop1", reads: 4, writes: 0, inFlight: 0)])
        #expect(check.newlyUnseen(check.snapshot(), counted: 0, lost: 0) == 4)
        // loop0 detached and attached again: its counters restart below the baseline
        stats.write([Self.line(7, 0, "loop0", reads: 2, writes: 0, inFlight: 0), Self.line(7, 1, "loop1", reads: 4, writes: 0, inFlight: 0)])
        #expect(check.newlyUnseen(check.snapshot(), counted: 4, lost: 0) == 0)
        #expect(check.newlyUnseen(check.snapshot(), counted: 0, lost: 0) == 2)
    }

    @Test func malformedOrShortLinesAndAMissingFileCountNothing() {
        let stats = Stats()
        stats.write(["7 0 loop0 1 2 3", "x y z 1 2 3 4 5 6 7 8 9", "", "7 0 loop0 18446744073709551615 0 0 0 1 0 0 0 0 0 0"])
        let check = DiskCompletions(diskstats: stats.path) { _, _ in true }
        #expect(check.newlyUnseen(check.snapshot(), counted: 0, lost: 0) == 0)
        let missing = DiskCompletions(diskstats: stats.path + ".none") { _, _ in true }
        #expect(missing.newlyUnseen(missing.snapshot(), counted: 0, lost: UInt64.max) == 0)
    }
}
