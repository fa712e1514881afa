import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class OffcputimeTests {
    /// A sleeper that lives on (so its user frames can be named at the end): a shell under a
    /// unique name that waits for `trace` to say the tool is attached (the file `go`), then
    /// blocks 0.3 s four times in a row (read -t: pselect), then waits to be killed (the
    /// "; true" keeps bash from exec'ing its last command, which would replace it). Before, it
    /// slept 1.5 s and counted on the tool being attached by then; under CI's parallel suites
    /// the tool once attached later and saw three blocks of four.
    func sleeper(_ dir: TempDir) throws -> (process: Process, comm: String) {
        let shell = try dir.copy(of: "/bin/bash", prefix: "off")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: shell.path)
        p.arguments = ["-c", "until [ -e \(dir.path)/go ]; do sleep 0.05; done; "
                       + "for i in 1 2 3 4; do read -t 0.3 < <(sleep 9) ; done; sleep 30; true"]
        try p.run()
        return (p, shell.comm)
    }

    /// Runs offcputime for `seconds` (its duration argument) and returns its stdout lines; once
    /// its banner is out (on stdout, or stderr with -f or --json), the sleepers of `dir` start.
    func trace(_ options: [String], seconds: Int = 4, releasing dir: TempDir) throws -> ToolRun {
        try? FileManager.default.removeItem(atPath: dir.path + "/go")
        let run = try ToolRun("offcputime", options + [String(seconds)])
        let deadline = Date().addingTimeInterval(20)
        while !(run.lines.contains { $0.hasPrefix("Tracing off-CPU time") } || run.stderr.contains("Tracing off-CPU time")) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        _ = FileManager.default.createFile(atPath: dir.path + "/go", contents: nil)
        #expect(run.waitForExit(timeout: Double(seconds) + 20) == 0, "\(run.stderr)")
        // the next sleeper waits for the next trace
        try? FileManager.default.removeItem(atPath: dir.path + "/go")
        return run
    }

    /// -p: the shell's 1.2 s blocked in read (four 0.3 s timeouts) on one stack, BCC's
    /// multi-line layout: kernel frames from __schedule, user frames, "-  comm (tid)", time.
    @Test func blockedTimeByStack() throws {
        let dir = try TempDir("offcputime")
        defer { dir.remove() }
        let (shell, comm) = try sleeper(dir)
        defer { kill(shell.processIdentifier, SIGKILL); shell.waitUntilExit() }
        let run = try trace(["-p", String(shell.processIdentifier)], releasing: dir)
        let lines = run.lines
        #expect(lines.first == "Tracing off-CPU time (us) of PIDs \(shell.processIdentifier) by user + kernel stack for 4 secs.", "\(lines)")
        // the stack blocked in select()/pselect() (bash's read -t), its total
        guard let row = lines.firstIndex(where: { $0 == "    -                \(comm) (\(shell.processIdentifier))" }) else {
            Issue.record("no stack of \(comm): \(lines)"); return
        }
        let stacks = lines.split(separator: "", omittingEmptySubsequences: true)
        let select = stacks.filter { $0.contains { $0.contains("do_select") || $0.contains("do_sys_poll") || $0.contains("core_sys_select") } }
        let total = select.compactMap { $0.last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }.reduce(0, +)
        #expect(total >= 1_100_000 && total < 1_600_000, "blocked \(total) us: \(select)")
        #expect(select.allSatisfy { $0.first == "    __schedule" }, "\(select)")
        #expect(lines[row + 1].wholeMatch(of: /\ {8}\d+/) != nil)
        // the user frames of the still running shell are named: libc's pselect below the kernel's
        #expect(select.allSatisfy { $0.contains("    entry_SYSCALL_64_after_hwframe") && $0.contains("    pselect") }, "\(select)")
    }

    /// -f: folded lines, user frames then kernel frames root first, "-" with -d; -K, -U; -M
    /// leaves out blocks longer than it; --state 1 keeps interruptible sleeps.
    @Test func foldedAndFilters() throws {
        let dir = try TempDir("offcputime")
        defer { dir.remove() }
        let (shell, comm) = try sleeper(dir)
        defer { kill(shell.processIdentifier, SIGKILL); shell.waitUntilExit() }
        let pid = String(shell.processIdentifier)
        let folded = try trace(["-f", "-d", "-p", pid, "--state", "1"], releasing: dir).lines
        #expect(folded.allSatisfy { $0.hasPrefix(comm + ";") && $0.wholeMatch(of: /.*;.* \d+/) != nil }, "\(folded)")
        #expect(folded.contains { $0.contains(";-;") && $0.contains(";schedule;__schedule ") }, "\(folded)")
        func total(_ line: String) -> Int { Int(line.split(separator: " ").last ?? "") ?? 0 }
        // each run with a sleeper of its own, blocked in its four 0.3 s reads while traced
        let (second, _) = try sleeper(dir)
        defer { kill(second.processIdentifier, SIGKILL); second.waitUntilExit() }
        let kernelOnly = try trace(["-K", "-f", "-p", String(second.processIdentifier)], releasing: dir).lines
        let blocked = kernelOnly.filter { $0.contains(";do_select;") }
        #expect(!blocked.isEmpty && blocked.allSatisfy { $0.split(separator: ";").dropFirst().first == "entry_SYSCALL_64_after_hwframe" } && blocked.map(total).reduce(0, +) >= 1_100_000,
                "kernel frames only, the 1.2 s blocked: \(kernelOnly)")
        // -M 1000: the same 0.3 s blocks, each longer than the maximum, are left out
        let (third, _) = try sleeper(dir)
        defer { kill(third.processIdentifier, SIGKILL); third.waitUntilExit() }
        let short = try trace(["-K", "-f", "-M", "1000", "-p", String(third.processIdentifier)], releasing: dir).lines
        #expect(!short.contains { $0.contains(";do_select;") }, "\(short)")
    }

    /// JSON with stacks, and a flame graph of the same totals.
    @Test func jsonAndFlameGraph() throws {
        let dir = try TempDir("offcputime")
        defer { dir.remove() }
        let (shell, _) = try sleeper(dir)
        defer { kill(shell.processIdentifier, SIGKILL); shell.waitUntilExit() }
        let svg = dir.path + "/off.svg"
        let run = try trace(["--json", "-p", String(shell.processIdentifier), "--flamegraph", svg], releasing: dir)
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == run.lines.count && !objects.isEmpty, "\(run.lines)")
        #expect(objects.allSatisfy { $0["pid"] as? Int == Int(shell.processIdentifier) && $0["total_us"] is Int && $0["kernel_stack"] is [Any] })
        let total = objects.compactMap { $0["total_us"] as? Int }.reduce(0, +)
        let graph = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(graph.contains("<svg") && graph.contains("\(total) us;"), "total \(total)")
    }

    @Test func badInput() throws {
        for arguments in [["-p", "1", "-t", "1"], ["-u", "-k"], ["-U", "-K"], ["-f", "-s"], ["-k", "-U"], ["-m", "0"], ["-p", "x"], ["0"]] {
            let run = try ToolRun("offcputime", arguments)
            #expect(run.waitForExit() == 2, "\(arguments): \(run.stderr)")
        }
    }
}
