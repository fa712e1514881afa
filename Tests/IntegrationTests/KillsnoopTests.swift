import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class KillsnoopTests {
    /// BCC's header; the PID columns are as wide as kernel.pid_max's digits plus one.
    static func isHeader(_ line: String) -> Bool { line.wholeMatch(of: /TIME      PID +COMM             SIG  TPID +RESULT/) != nil }

    /// A child that waits to be signalled. It inherits the test process's blocked signals (the
    /// test runner blocks some), so the tests end it with SIGKILL.
    func sleeper() throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["30"]
        try p.run()
        return p
    }

    /// A PID no process has (kill() gives ESRCH): PID_MAX_LIMIT, above any pid_max. (A free PID
    /// below pid_max can be handed to a new process between the look and the kill.)
    func missingPID() -> Int32 { 4_194_304 }

    func trace(_ options: [String], _ workload: () throws -> Void) throws -> [String] {
        // JSON has no header to wait for
        try ToolRun.around("killsnoop", options, ready: options.contains("--json") ? .attached : .line(Self.isHeader), workload).lines
    }

    /// A SIGKILL that kills and a signal 0 to nobody: a row each, BCC's columns, this process as sender.
    @Test func signalsSentShowWithTheirResult() throws {
        let child = try sleeper()
        let missing = missingPID()
        let me = getpid()
        let lines = try trace([]) {
            #expect(kill(child.processIdentifier, SIGKILL) == 0)
            child.waitUntilExit()
            #expect(kill(missing, 0) == -1)
        }
        #expect(Self.isHeader(lines.first ?? ""), "\(lines)")
        let mine = lines.filter { $0.dropFirst(10).hasPrefix(left(String(me), 6) + " ") }
        #expect(mine.contains { $0.wholeMatch(of: try! Regex(#"\d\d:\d\d:\d\d  \#(me) +\S+ +9    \#(child.processIdentifier) +0"#)) != nil }, "\(lines)")
        #expect(mine.contains { $0.wholeMatch(of: try! Regex(#"\d\d:\d\d:\d\d  \#(me) +\S+ +0    \#(missing) +-3"#)) != nil }, "\(lines)")
    }

    /// -x keeps the failed call only; -s keeps the listed signals; -T the target; -p the sender.
    /// Other suites run in this process and send signals too: the rows checked are those of
    /// this workload's targets.
    @Test func filters() throws {
        let missing = missingPID(), me = getpid()
        var child: Int32 = 0
        func workload() throws {
            let sleeping = try sleeper()
            child = sleeping.processIdentifier
            #expect(kill(child, SIGKILL) == 0)
            sleeping.waitUntilExit()
            _ = kill(missing, SIGUSR2)
        }
        let failed = try trace(["-x", "-p", String(me)], workload).dropFirst()
        #expect(failed.allSatisfy { !$0.contains(" \(child) ") }, "-x leaves the successful kill out: \(failed)")
        let failedMine = failed.filter { $0.contains(" \(missing) ") }
        #expect(failedMine.count == 1 && failedMine.first?.hasSuffix(" -3") == true && failedMine.first?.contains(" 12   \(missing) ") == true,
                "\(failed)")
        let killed = try trace(["-s", "9,15", "-p", String(me)], workload).dropFirst().filter { $0.contains(" \(child) ") }
        #expect(killed.count == 1 && killed.first?.contains(" 9    ") == true && killed.first?.hasSuffix(" 0") == true, "\(killed)")
        let target = try trace(["-T", String(missing)], workload).dropFirst()
        #expect(target.count == 1 && target.first?.contains(" \(missing) ") == true, "\(target)")
        let other = try trace(["-p", "1"], workload).dropFirst()
        #expect(!other.contains { $0.contains(" \(missing) ") }, "\(other)")
        let json = try trace(["--json", "-p", String(me), "-x"], workload)
        let objects = json.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["target_pid"] as? Int == Int(missing) }
        #expect(objects.count == 1 && objects.first?["signal"] as? Int == Int(SIGUSR2)
                && objects.first?["target_pid"] as? Int == Int(missing) && objects.first?["ret"] as? Int == -3, "\(json)")
    }

    @Test func badInput() throws {
        for arguments in [["-s", "x"], ["-s", "64"], ["-s", "9,"], ["-p", "0"], ["-T", "y"], ["extra"]] {
            let run = try ToolRun("killsnoop", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: killsnoop [-h]"), "\(arguments): \(run.stderr)")
        }
    }
}
