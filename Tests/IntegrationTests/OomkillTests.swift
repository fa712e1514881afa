import Foundation
import Testing

/// A memory cgroup with a limit, made for one test and removed after it: cgroup v2's memory
/// controller where the machine has it there (production hosts), else cgroup v1's (this
/// project's development and CI machines: hybrid, with v1 controllers).
struct MemoryCgroup {
    let path: String
    /// Where a process is moved into the group.
    var procs: String { path + "/cgroup.procs" }

    init(limitMB: Int) throws {
        let name = uniqueName("oom")
        let v2 = "/sys/fs/cgroup"
        if let controllers = try? String(contentsOfFile: v2 + "/cgroup.controllers", encoding: .utf8), controllers.contains("memory") {
            path = v2 + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try "\(limitMB)M".write(toFile: path + "/memory.max", atomically: false, encoding: .utf8)
            try? "0".write(toFile: path + "/memory.swap.max", atomically: false, encoding: .utf8)
        } else {
            path = v2 + "/memory/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
            try "\(limitMB)M".write(toFile: path + "/memory.limit_in_bytes", atomically: false, encoding: .utf8)
            try? "\(limitMB)M".write(toFile: path + "/memory.memsw.limit_in_bytes", atomically: false, encoding: .utf8)
        }
    }

    /// Removes the group once its processes are gone.
    func remove() {
        for _ in 0..<50 where rmdir(path) != 0 { Thread.sleep(forTimeInterval: 0.1) }
    }
}

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class OomkillTests {
    static let banner = "Tracing OOM kills... Ctrl-C to stop."
    static let loadavg = #"loadavg: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+"#

    func trace(_ options: [String], _ workload: () throws -> Void) throws -> ToolRun {
        try ToolRun.around("oomkill", options, ready: options.contains("--json") ? .stderr(Self.banner) : .header(Self.banner), workload)
    }

    /// Runs `command` with sh inside `group` (and the cgroup v2 `also`); returns (pid, status).
    func runIn(_ group: MemoryCgroup, also: String? = nil, _ command: String) throws -> (pid: Int32, status: Int32) {
        let join = ([group.procs] + (also.map { [$0 + "/cgroup.procs"] } ?? [])).map { "echo $$ > \($0) && " }.joined()
        return try runCommand("/bin/sh", ["-c", join + "exec " + command])
    }

    /// dd reads 512 MiB at once into a 64 MiB cgroup: the kernel kills it, the trigger and victim
    /// both; BCC's line and a stack block follow.
    @Test func selfInflictedOOM() throws {
        let group = try MemoryCgroup(limitMB: 64)
        defer { group.remove() }
        var dd: (pid: Int32, status: Int32) = (0, 0)
        let run = try trace([]) { dd = try runIn(group, "dd if=/dev/zero of=/dev/null bs=512M count=1") }
        #expect(dd.status != 0, "dd was not killed")
        let lines = run.lines
        let row = lines.firstIndex { $0.contains("Triggered by PID \(dd.pid) ") }
        let expected = try Regex(#"\d\d:\d\d:\d\d Triggered by PID \#(dd.pid) \("dd"\), OOM kill of PID \#(dd.pid) \("dd"\), (\d+|\?) pages, \#(Self.loadavg)"#)
        #expect(row.map { lines[$0].wholeMatch(of: expected) != nil } == true, "\(lines)")
        if let row {
            #expect(lines.indices.contains(row + 1) && ["  Stack trace:", "  Failed to capture stack trace"].contains(lines[row + 1]), "\(lines)")
        }
        #expect(lines.first == Self.banner)
    }

    /// A process that holds memory and asks to be chosen (oom_score_adj 1000), then dd needing
    /// more than is left: dd triggers, the holder is killed; dd then finishes.
    @Test func victimOtherThanTrigger() throws {
        let group = try MemoryCgroup(limitMB: 96)
        defer { group.remove() }
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/bin/sh")
        let hold = "open('/proc/self/oom_score_adj', 'w').write('1000'); b = b'x' * (48 << 20); import time; time.sleep(30)"
        holder.arguments = ["-c", "echo $$ > \(group.procs) && exec python3 -c \"\(hold)\""]
        try holder.run()
        defer { if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }; holder.waitUntilExit() }
        Thread.sleep(forTimeInterval: 1.0)  // python has its 48 MiB
        var dd: (pid: Int32, status: Int32) = (0, 0)
        let run = try trace([]) { dd = try runIn(group, "dd if=/dev/zero of=/dev/null bs=64M count=1") }
        holder.waitUntilExit()
        #expect(holder.terminationReason == .uncaughtSignal && holder.terminationStatus == SIGKILL)
        let row = try Regex(#"\d\d:\d\d:\d\d Triggered by PID \#(dd.pid) \("dd"\), OOM kill of PID \#(holder.processIdentifier) \("python3"\), (\d+|\?) pages, \#(Self.loadavg)"#)
        #expect(run.lines.contains { $0.wholeMatch(of: row) != nil }, "\(run.lines)")
    }

    /// JSON, and --cgroup (cgroup v2: the unified hierarchy here) keeps the OOM of a process in
    /// the group and leaves out one outside it.
    @Test func jsonAndCgroupFilter() throws {
        let group = try MemoryCgroup(limitMB: 64)
        defer { group.remove() }
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/unified/cgroup.procs") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup"
        let v2 = unified + "/" + uniqueName("oomv2")
        try FileManager.default.createDirectory(atPath: v2, withIntermediateDirectories: false)
        defer { for _ in 0..<50 where rmdir(v2) != 0 { Thread.sleep(forTimeInterval: 0.1) } }
        var inside: Int32 = 0, outside: Int32 = 0
        let run = try trace(["--json", "--cgroup", v2]) {
            outside = try runIn(group, "dd if=/dev/zero of=/dev/null bs=512M count=1").pid
            inside = try runIn(group, also: v2, "dd if=/dev/zero of=/dev/null bs=512M count=1").pid
        }
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 1, "\(run.lines)")
        let o = objects.first
        #expect(o?["pid"] as? Int == Int(inside) && o?["victim_pid"] as? Int == Int(inside) && o?["comm"] as? String == "dd"
                && o?["victim_comm"] as? String == "dd", "\(run.lines)")
        #expect((o?["loadavg"] as? [Double])?.count == 3 && (o?["timestamp"] as? String)?.count == 35 && o?.keys.contains("pages") == true)
        #expect(!run.lines.contains { $0.contains("\"pid\": \(outside),") })
    }

    @Test func badInput() throws {
        for (arguments, status) in [(["-x"], Int32(2)), (["extra"], 2), (["--cgroup", "/nonexistent"], 1)] {
            let run = try ToolRun("oomkill", arguments)
            #expect(run.waitForExit() == status, "\(arguments): \(run.stderr)")
        }
    }
}
