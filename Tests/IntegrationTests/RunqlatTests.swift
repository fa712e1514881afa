import Foundation
import Testing

/// A process that waits `delay` seconds (the tool attaches meanwhile), then sleeps 2 ms
/// `wakeups` times in each of `threads` threads: every wakeup is one run queue latency.
/// Prints its PID and thread IDs as JSON (thread IDs as its own namespace numbers them).
private let sleeperScript = """
import json, sys, threading, time
delay, wakeups, threads = float(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
tids = []
def work():
    tids.append(threading.get_native_id())
    time.sleep(delay)
    for _ in range(wakeups): time.sleep(0.002)
ts = [threading.Thread(target=work) for _ in range(threads)]
for t in ts: t.start()
time.sleep(0.1)
import os
# the PID as the host sees it (/proc is the host's: in a PID namespace getpid() is not)
print(json.dumps({"pid": int(os.readlink("/proc/self")), "tids": tids}), flush=True)
for t in ts: t.join()
"""

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class RunqlatTests {
    static let banner = "Tracing run queue latency... Hit Ctrl-C to end."

    /// Starts the sleeper (under `prefix`, e.g. unshare), then the tool with `arguments`
    /// (where "PID" is replaced by the sleeper's), and waits for the tool to end by itself.
    func run(_ arguments: [String], threads: Int = 1, wakeups: Int = 200, prefix: [String] = [])
        throws -> (run: ToolRun, pid: Int, tids: [Int]) {
        let sleeper = Process()
        sleeper.executableURL = URL(fileURLWithPath: prefix.first ?? "/usr/bin/python3")
        sleeper.arguments = Array(prefix.dropFirst()) + (prefix.isEmpty ? [] : ["/usr/bin/python3"])
            + ["-c", sleeperScript, "1.5", String(wakeups), String(threads)]
        let out = Pipe()
        sleeper.standardOutput = out
        try sleeper.run()
        defer { sleeper.waitUntilExit() }
        let line = out.fileHandleForReading.availableData
        let info = try #require(try JSONSerialization.jsonObject(with: line) as? [String: Any], "\(String(decoding: line, as: UTF8.self))")
        let pid = try #require(info["pid"] as? Int)
        let tool = try ToolRun("runqlat", arguments.map { $0 == "PID" ? String(pid) : $0 })
        #expect(tool.waitForExit(timeout: 20) == 0, "\(tool.stderr)")
        return (tool, pid, info["tids"] as? [Int] ?? [])
    }

    /// The counts of a text histogram's rows, by section ("" without sections).
    static func counts(_ lines: [String]) -> [String: Int] {
        var result: [String: Int] = [:]
        var section = ""
        for line in lines {
            if let range = line.range(of: " = "), !line.contains(":") { section = String(line[range.upperBound...]); continue }
            let parts = line.split(separator: ":")
            if parts.count == 2, line.contains(" -> "), let n = Int(parts[1].split(separator: "|")[0].trimmingCharacters(in: .whitespaces)) {
                result[section, default: 0] += n
            }
        }
        return result
    }

    /// -p keeps the sleeper's latencies only: one section per process with -P, per thread with
    /// -L, at least one count per wakeup; the tool ends by itself after `interval count`.
    @Test func perProcessAndPerThread() throws {
        let (byPid, pid, _) = try run(["-P", "-p", "PID", "4", "1"])
        #expect(byPid.lines.first == Self.banner && byPid.lines.contains("     usecs               : count     distribution"))
        let pidCounts = Self.counts(byPid.lines)
        #expect(Array(pidCounts.keys) == [String(pid)], "\(byPid.lines)")
        #expect((pidCounts[String(pid)] ?? 0) >= 200, "\(pidCounts)")

        let (byTid, _, tids) = try run(["-L", "-m", "-p", "PID", "4", "1"], threads: 2)
        #expect(byTid.lines.contains("     msecs               : count     distribution"))
        let tidCounts = Self.counts(byTid.lines)
        for tid in tids { #expect((tidCounts[String(tid)] ?? 0) >= 200, "tid \(tid): \(tidCounts)") }
        #expect(byTid.lines.contains { $0.hasPrefix("tid = ") }, "\(byTid.lines)")
    }

    /// --pidnss: the sleeper in a PID namespace of its own is counted under that namespace's
    /// inode number; -T prints the time before each report; --json one object per histogram.
    @Test func pidNamespacesTimestampsAndJSON() throws {
        let (ns, _, _) = try run(["--pidnss", "-T", "-p", "PID", "4", "1"], prefix: ["/usr/bin/unshare", "--pid", "--fork"])
        let inodes = Self.counts(ns.lines).keys.compactMap { UInt64($0) }
        let host = try #require((try FileManager.default.attributesOfItem(atPath: "/proc/self/ns/pid"))[.systemFileNumber] as? UInt64)
        #expect(inodes.count == 1 && inodes.first != host, "its own namespace, not the host's (\(host)): \(ns.lines)")
        #expect(ns.lines.contains { $0.range(of: #"^\d\d:\d\d:\d\d$"#, options: .regularExpression) != nil }, "\(ns.lines)")

        let (json, _, _) = try run(["--json", "-p", "PID", "4", "1"])
        let objects = json.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == json.lines.count && objects.count == 1, "\(json.lines)")
        let data = objects.first?["data"] as? [[String: Any]] ?? []
        #expect(data.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } >= 200 && objects.first?["val_type"] as? String == "usecs")
        #expect(json.stderr.contains(Self.banner))
    }

    /// --cgroup: a cgroup v2 directory made for the test (the unified hierarchy here) holds the
    /// sleeper; only its latencies are counted.
    @Test func cgroupFilter() throws {
        let root = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"
        let dir = root + "/" + uniqueName("rq")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // the sleeper joins the cgroup itself before its wakeups begin
        let (run, _, _) = try run(["--cgroup", dir, "4", "1"], prefix: ["/bin/sh", "-c", "echo $$ > \(dir)/cgroup.procs && exec \"$0\" \"$@\""])
        let total = Self.counts(run.lines)[""] ?? 0
        #expect(total >= 200 && total < 1000, "the sleeper's wakeups only: \(run.lines)")
    }

    @Test func badInput() throws {
        for arguments in [["-p", "0"], ["-p", "x"], ["0"], ["1", "0"], ["1", "2", "3"]] {
            let run = try ToolRun("runqlat", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: runqlat"), "\(arguments): \(run.stderr)")
        }
    }
}
