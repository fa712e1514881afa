import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class BiosnoopTests {
    static let header = "TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  LAT(ms)"
    let dir: TempDir

    init() throws { dir = try TempDir("biosnoop-test") }
    deinit { dir.remove() }

    /// dd under a unique name, so its rows are told from everything else's I/O.
    func namedDD() throws -> (path: String, comm: String) { try dir.copy(of: "/bin/dd", prefix: "bsdd") }

    func trace(_ options: [String], header: String? = BiosnoopTests.header, environment: [String: String]? = nil,
               _ workload: () throws -> Void) throws -> ToolRun {
        try ToolRun.around("biosnoop", options, ready: header.map(ToolRun.Ready.header) ?? .attached, environment: environment, workload)
    }

    /// 8 O_DIRECT reads then 4 writes of 4 KiB by a named dd: a row each, with its PID, the
    /// loop device, direction, sector and size, in order.
    @Test(arguments: [false, true])
    func rowsPerRequestWithTheSubmitter(olderKernel: Bool) throws {
        // as before Linux 6.5: the submitter seen at block_bio_queue
        let environment = olderKernel
            ? ProcessInfo.processInfo.environment.merging(["BPF_TOOLS_AVOID_PROBES": "raw_io_start,tp_io_start"]) { $1 } : nil
        let loop = try LoopDevice()
        defer { loop.remove() }
        let dd = try namedDD()
        var pids: [Int32] = []
        let run = try trace(["-v"], environment: environment) {
            pids.append(try runCommand(dd.path, ["if=\(loop.path)", "of=/dev/null", "bs=4k", "count=8", "iflag=direct", "status=none"]).pid)
            pids.append(try runCommand(dd.path, ["if=/dev/zero", "of=\(loop.path)", "bs=4k", "count=4", "seek=100", "oflag=direct",
                                                 "status=none"]).pid)
        }
        let rows = run.lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            .filter { $0.count == 8 && $0[1] == String(dd.comm.prefix(14)) }  // COMM is cut at 14
        #expect(rows.count == 12, "\(run.lines)")
        #expect(!run.stderr.contains("have no row"), "\(run.stderr)")
        let reads: [[String]] = (0..<8).map { ["R", String($0 * 8), String(pids[0])] }
        let writes: [[String]] = (0..<4).map { ["W", String(800 + $0 * 8), String(pids[1])] }
        for (row, want) in zip(rows, reads + writes) {
            let fields: [String] = [row[4], row[5], row[2]]
            #expect(fields == want && row[3] == loop.name && row[6] == "4096", "\(row)")
            #expect(Double(row[7]).map { $0 >= 0 && $0 < 5000 } == true && row[7].split(separator: ".").last?.count == 2, "\(row)")
        }
        #expect(run.stderr.contains(olderKernel ? "(tp_bio_queue)" : "(raw_io_start)"), "\(run.stderr)")
        #expect(run.stderr.contains("(raw_rq_issue)") && run.stderr.contains("(raw_rq_complete)") && run.stderr.contains("(raw_rq_merge)"),
                "\(run.stderr)")
        let times = rows.compactMap { Double($0[0]) }
        #expect(times == times.sorted() && times.count == 12, "TIME(s) in order: \(times)")
    }

    /// -Q adds QUE(ms), -P the pattern (the first request of the disk unknown, then sequential
    /// reads, a jump is random); -d keeps one disk; --json carries the same fields.
    @Test func queuedPatternDiskAndJSON() throws {
        let loop = try LoopDevice(), other = try LoopDevice()
        defer { loop.remove(); other.remove() }
        let dd = try namedDD()
        let run = try trace(["-Q", "-P", "-d", loop.name],
                            header: "TIME(s)     COMM           PID     DISK      T SECTOR     BYTES  P QUE(ms) LAT(ms)") {
            _ = try runCommand(dd.path, ["if=\(other.path)", "of=/dev/null", "bs=4k", "count=3", "iflag=direct", "status=none"])
            _ = try runCommand(dd.path, ["if=\(loop.path)", "of=/dev/null", "bs=4k", "count=4", "iflag=direct", "status=none"])
            _ = try runCommand(dd.path, ["if=\(loop.path)", "of=/dev/null", "bs=4k", "count=1", "skip=1000", "iflag=direct", "status=none"])
        }
        let rows = run.lines.dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            .filter { $0.count == 10 && $0[1] == String(dd.comm.prefix(14)) }
        #expect(rows.allSatisfy { $0[3] == loop.name }, "-d \(loop.name) only: \(run.lines)")
        #expect(rows.map(\.[7]) == ["?", "S", "S", "S", "R"] || rows.map(\.[7]) == ["R", "S", "S", "S", "R"], "\(rows)")
        #expect(rows.map(\.[5]) == ["0", "8", "16", "24", "8000"], "\(rows)")
        #expect(rows.allSatisfy { Double($0[8]).map { $0 >= 0 } == true }, "QUE(ms) \(rows)")

        let json = try trace(["--json", "-d", loop.name], header: nil) {
            _ = try runCommand(dd.path, ["if=\(loop.path)", "of=/dev/null", "bs=4k", "count=2", "iflag=direct", "status=none"])
        }
        let objects = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == json.lines.count, "\(json.lines)")
        let mine = objects.filter { $0["comm"] as? String == dd.comm }
        #expect(mine.count == 2 && mine.allSatisfy { $0["disk"] as? String == loop.name && $0["rw"] as? String == "R"
            && $0["bytes"] as? Int == 4096 && $0["latency_ms"] is Double }, "\(json.lines)")
    }

    /// Four processes reading one sector at once, 6,000 requests: raw tracepoints know each
    /// request by its pointer, a row each. The classic ones know a request by disk and sector:
    /// fewer rows than requests, and biosnoop says how many the kernel completed without a row
    /// (the exact difference: nothing else reads the device).
    @Test(arguments: [false, true])
    func requestsForOneSectorInFlightTogether(classic: Bool) throws {
        let loop = try LoopDevice()
        defer { loop.remove() }
        var before = 0, after = 0
        let environment = classic ? ProcessInfo.processInfo.environment.merging(["BPF_TOOLS_AVOID_PROBES": "raw_tp"]) { $1 } : nil
        let run = try trace(["-d", loop.name, "-v"], environment: environment) {
            before = try loop.completedIOs()
            try loop.sameSectorReads(processes: 4, each: 1500)
            after = try loop.completedIOs()
        }
        let rows = run.lines.dropFirst().filter { $0.contains(" \(loop.name) ") }.count, kernel = after - before
        #expect(kernel == 6000)
        #expect(run.stderr.contains(classic ? "(tp_rq_complete)" : "(raw_rq_complete)"), "\(run.stderr)")
        if classic {
            #expect(rows < kernel, "no two reads of the sector were in flight together")
            #expect(run.stderr.contains("biosnoop: \(kernel - rows) I/Os the kernel completed (/proc/diskstats) have no row"),
                    "\(rows) rows of \(kernel): \(run.stderr)")
        } else {
            #expect(rows == kernel, "\(run.stderr)")
            #expect(!run.stderr.contains("have no row"), "\(run.stderr)")
        }
    }

    /// An issue seen by its request pointer and a completion seen by disk and sector never meet:
    /// one line, status 1, instead of a tool that prints nothing.
    @Test func issueAndCompletionMustBeTheSameKindOfTracepoint() throws {
        let environment = ProcessInfo.processInfo.environment.merging(["BPF_TOOLS_AVOID_PROBES": "raw_rq_complete"]) { $1 }
        let run = try ToolRun("biosnoop", [], environment: environment)
        #expect(run.waitForExit() == 1)
        #expect(run.stderr.hasPrefix("biosnoop: a request's issue, completion and submitter are only available through kinds"),
                "\(run.stderr)")
    }

    @Test func badInput() throws {
        let missing = try ToolRun("biosnoop", ["-d", "nosuchdisk0"])
        #expect(missing.waitForExit() == 1)
        #expect(missing.stderr == "no such disk 'nosuchdisk0'\n", "\(missing.stderr)")
        for arguments in [["-d"], ["extra"], ["-x"]] {
            let run = try ToolRun("biosnoop", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: biosnoop"), "\(arguments): \(run.stderr)")
        }
    }
}
