import Foundation
import Testing

@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class SyscountTests {
    /// Runs syscount to its end (--exec or -d) and returns its stdout lines.
    func finished(_ options: [String]) throws -> [String] {
        let run = try ToolRun("syscount", options)
        #expect(run.waitForExit(timeout: 30) == 0, "\(run.stderr)")
        return run.lines
    }

    /// The rows of the last report: after its header, up to the blank line.
    func rows(_ lines: [String], header: String) -> [(String, [String])] {
        guard let start = lines.lastIndex(of: header) else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.map { line in
            let fields = line.split(separator: " ").map(String.init)
            return (String(line.prefix(22)).trimmingCharacters(in: .whitespaces), Array(fields.suffix(2)))
        }
    }

    /// --exec dd with 1-byte blocks: 3,000 reads and 3,000 writes of its own, BCC's report
    /// (time, header, rows by count, a blank line) and "Detaching..." when dd ends.
    @Test func countsTheCommandsCalls() throws {
        let lines = try finished(["--exec", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=3000", "status=none"])
        #expect(lines.first == "Tracing syscalls, printing top 10... Ctrl+C to quit.", "\(lines)")
        #expect(lines.last == "Detaching..." && lines.dropLast().last == "", "\(lines)")
        #expect(lines.contains { $0.wholeMatch(of: /\[\d\d:\d\d:\d\d\]/) != nil })
        let counted = rows(lines, header: "SYSCALL                   COUNT")
        let read = counted.first { $0.0 == "read" }.flatMap { Int($0.1.last ?? "") } ?? 0
        let write = counted.first { $0.0 == "write" }.flatMap { Int($0.1.last ?? "") } ?? 0
        #expect(read >= 3000 && read < 3100 && write >= 3000 && write < 3100, "\(lines)")
        #expect(counted.count <= 10 && counted.map { Int($0.1.last ?? "") ?? 0 } == counted.map { Int($0.1.last ?? "") ?? 0 }.sorted(by: >))
        #expect(lines.allSatisfy { $0.count < 22 || $0.hasPrefix("Tracing") || $0.wholeMatch(of: /.{22} +\d+/) != nil || $0.hasPrefix("SYSCALL") })
    }

    /// -x -e ENOENT --syscall: only newfstatat calls that failed with ENOENT, 50 of a shell's.
    @Test func failedCallsOfOneKind() throws {
        let script = "i=0; while [ $i -lt 50 ]; do [ -e /nonexistent-syscount-$i ]; i=$((i+1)); done"
        let lines = try finished(["-x", "-e", "ENOENT", "--syscall", "newfstatat", "--exec", "/bin/sh", "-c", script])
        #expect(lines.first == "Tracing failed syscall 'newfstatat'... Ctrl+C to quit.", "\(lines)")
        let counted = rows(lines, header: "SYSCALL                   COUNT")
        #expect(counted.count == 1 && counted.first?.0 == "newfstatat" && (Int(counted.first?.1.last ?? "") ?? 0) >= 50, "\(lines)")
        let eperm = try finished(["-e", "1", "--syscall", "newfstatat", "--exec", "/bin/sh", "-c", script])
        #expect(rows(eperm, header: "SYSCALL                   COUNT").isEmpty, "\(eperm)")
    }

    /// -P -L -m over a shell's children (-c): a row per sleep it started, by PID, with time in
    /// milliseconds; -i 1 -d 2: two reports.
    @Test func byProcessWithLatency() throws {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/sh")
        shell.arguments = ["-c", "while :; do sleep 0.05; done"]
        try shell.run()
        defer { kill(shell.processIdentifier, SIGKILL); shell.waitUntilExit() }
        let lines = try finished(["-P", "-L", "-m", "-c", String(shell.processIdentifier), "-i", "1", "-d", "2"])
        let header = "PID    COMM               COUNT        TIME (ms)"
        #expect(lines.filter { $0 == header }.count == 2, "\(lines)")
        let processes = rows(lines, header: header)
        #expect(!processes.isEmpty && processes.allSatisfy { $0.0 != String(shell.processIdentifier) }, "\(lines)")
        #expect(lines.contains { $0.wholeMatch(of: /\d+ +(sleep|\[unknown\]) +\d+ +\d+\.\d{6}/) != nil }, "\(lines)")
    }

    /// JSON: one object per row, with the call, its count and total time.
    @Test func json() throws {
        let lines = try finished(["--json", "-L", "--exec", "dd", "if=/dev/zero", "of=/dev/null", "bs=1", "count=500", "status=none"])
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == lines.count && !objects.isEmpty, "\(lines)")
        let read = objects.first { $0["syscall"] as? String == "read" }
        #expect((read?["count"] as? Int ?? 0) >= 500 && (read?["total_ms"] as? Double ?? -1) >= 0 && read?["time"] is String, "\(lines)")
    }

    /// -l: every name of the architecture's table, four to a line.
    @Test func list() throws {
        let lines = try finished(["-l"])
        let names = lines.flatMap { $0.split(separator: " ").map(String.init) }
        #expect(names.contains("read") && names.contains("execve") && names.contains("exit_group") && names.count > 300, "\(lines.prefix(3))")
        // "%-22s" each, joined by three spaces (a longer name shifts the rest, as in BCC)
        #expect(lines.dropLast().allSatisfy { $0.split(separator: " ").count == 4 && $0.count >= 4 * 22 + 3 * 3 }, "\(lines.prefix(3))")
    }

    @Test func badInput() throws {
        for arguments in [["-e", "EFOO"], ["--syscall", "nosuch"], ["-T", "-1"], ["-i", "0"], ["-p", "x"], ["extra"], ["-p", "1", "--exec", "true"], ["--exec"]] {
            let run = try ToolRun("syscount", arguments)
            #expect(run.waitForExit() == 2, "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("usage: syscount [-h]") || run.stderr.hasPrefix("ERROR: "), "\(arguments): \(run.stderr)")
        }
    }
}
