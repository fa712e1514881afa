import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class ExitsnoopTests {
    static let header = "PCOMM            PID     PPID    TID     AGE(s)  EXIT_CODE "

    func trace(_ options: [String], header: String? = ExitsnoopTests.header, _ workload: () throws -> Void) throws -> [String] {
        try ToolRun.around("exitsnoop", options, ready: header.map(ToolRun.Ready.header) ?? .attached, workload).lines
    }

    /// `sh -c 'exit 3'` (an exit code), a sleep killed by SIGKILL (a signal), and a sleep that
    /// lives half a second (its age).
    func workload() throws -> [String: Int32] {
        func run(_ path: String, _ arguments: [String], kill signal: Int32? = nil) throws -> Int32 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: path)
            p.arguments = arguments
            try p.run()
            if let signal { Thread.sleep(forTimeInterval: 0.1); kill(p.processIdentifier, signal) }
            p.waitUntilExit()
            return p.processIdentifier
        }
        return ["exit3": try run("/bin/sh", ["-c", "exit 3"]),
                "killed": try run("/bin/sleep", ["10"], kill: SIGKILL),
                "aged": try run("/bin/sleep", ["0.5"])]
    }

    @Test func exitsShowWithCodeSignalAndAge() throws {
        var pids: [String: Int32] = [:]
        let lines = try trace([]) { pids = try workload() }
        func row(_ key: String) -> String? { lines.first { $0.split(separator: " ").dropFirst().first == Substring(String(pids[key] ?? -1)) } }
        #expect(row("exit3")?.hasPrefix("sh ") == true && row("exit3")?.hasSuffix(" code 3") == true, "\(lines)")
        #expect(row("killed")?.hasPrefix("sleep ") == true && row("killed")?.hasSuffix(" signal 9 (KILL)") == true, "\(lines)")
        let age = row("aged").map { $0.split(separator: " ", omittingEmptySubsequences: true)[4] }.flatMap { Double($0) }
        #expect(age.map { (0.45...1.5).contains($0) } == true, "\(row("aged") ?? "no row")")
        #expect(row("aged")?.hasSuffix(" 0") == true)
    }

    /// -x leaves exit(0) out; -p keeps one process; --label and --utc add their columns; JSON.
    @Test func optionsAndJSON() throws {
        var pids: [String: Int32] = [:]
        let failed = try trace(["-x"]) { pids = try workload() }
        #expect(!failed.contains { $0.contains(" \(pids["aged"] ?? -1) ") }, "\(failed)")
        #expect(failed.contains { $0.contains(" \(pids["exit3"] ?? -1) ") })
        let labelled = try trace(["--label=", "--utc"], header: "TIME-UTC     LABEL " + Self.header) { pids = try workload() }
        #expect(labelled.dropFirst().allSatisfy { $0.wholeMatch(of: /\d\d:\d\d:\d\d\.\d{3} exit  .*/) != nil }, "\(labelled)")
        let json = try trace(["--json"], header: nil) { pids = try workload() }
        let objects = json.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let killed = objects.first { $0["pid"] as? Int == Int(pids["killed"] ?? -1) }
        #expect(killed?["signal"] as? Int == 9 && killed?["exit_code"] is NSNull && killed?["core_dumped"] as? Bool == false, "\(json)")
        let exited = objects.first { $0["pid"] as? Int == Int(pids["exit3"] ?? -1) }
        #expect(exited?["exit_code"] as? Int == 3 && exited?["signal"] is NSNull && (exited?["timestamp"] as? String)?.count == 35)
    }

    @Test func pidFilter() throws {
        let target = Process()
        target.executableURL = URL(fileURLWithPath: "/bin/sleep")
        target.arguments = ["1"]
        try target.run()
        let lines = try trace(["-p", String(target.processIdentifier)]) {
            _ = try workload()
            target.waitUntilExit()
        }
        #expect(lines.count == 2 && lines.last?.hasPrefix("sleep ") == true
                && lines.last?.contains(" \(target.processIdentifier) ") == true, "\(lines)")
    }
}
