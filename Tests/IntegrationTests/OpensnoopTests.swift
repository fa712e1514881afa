import Foundation
import Testing

/// opensnoop run as root against opens the tests make.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class OpensnoopTests {
    let dir: TempDir
    static let header = "PID    COMM               FD ERR PATH"

    init() throws { dir = try TempDir("opensnoop-test") }
    deinit { dir.remove() }

    func uniqueFile(_ prefix: String = "f") throws -> String {
        let path = dir.path + "/" + uniqueName(prefix)
        try "data\n".write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    func row(pid: Int32, comm: String, fd: Int, err: Int, path: String) -> String {
        left(String(pid), 6) + " " + left(comm, 16) + " " + right(String(fd), 4) + " " + right(String(err), 3) + " " + path
    }

    /// opensnoop run with `options` while cat opens a unique file, whose row must be BCC's.
    func catOpensAUniqueFile(_ options: [String], environment: [String: String]? = nil) throws -> ToolRun {
        let file = try uniqueFile()
        let run = try ToolRun("opensnoop", options, environment: environment)
        try run.waitUntilReady(header: Self.header)
        let (pid, status) = try runCommand("/bin/cat", [file])
        #expect(status == 0)
        let line = run.waitForLine { $0.hasSuffix(" " + file) }
        #expect(run.stop() == 0)
        #expect(line == row(pid: pid, comm: "cat", fd: 3, err: 0, path: file))
        return run
    }

    @Test func showsAnOpenOfAUniquePath() throws {
        _ = try catOpensAUniqueFile([])
    }

    @Test func failedOnlyWithX() throws {
        let run = try ToolRun("opensnoop", ["-x"])
        try run.waitUntilReady()
        let existing = try uniqueFile()
        let missing = dir.path + "/" + uniqueName("missing")
        try runCommand("/bin/cat", [existing])
        let (pid, status) = try runCommand("/bin/cat", [missing])
        #expect(status != 0)
        let line = run.waitForLine { $0.hasSuffix(" " + missing) }
        #expect(run.stop() == 0)
        #expect(line == row(pid: pid, comm: "cat", fd: -1, err: 2, path: missing))
        #expect(!run.lines.contains { $0.hasSuffix(existing) })
    }

    @Test func pidFilterExcludesOtherProcesses() throws {
        let fileA = try uniqueFile("a"), fileB = try uniqueFile("b")
        // Two shells that wait for a line on stdin, then open their file.
        func waitingShell(_ file: String) throws -> (Process, Pipe) {
            let p = Process(), input = Pipe()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "read go; exec 3< \(file)"]
            p.standardInput = input
            try p.run()
            return (p, input)
        }
        let (a, inA) = try waitingShell(fileA)
        let (b, inB) = try waitingShell(fileB)
        let run = try ToolRun("opensnoop", ["-p", String(a.processIdentifier)])
        try run.waitUntilReady()
        inB.fileHandleForWriting.write(Data("go\n".utf8))
        b.waitUntilExit()
        inA.fileHandleForWriting.write(Data("go\n".utf8))
        a.waitUntilExit()
        let line = run.waitForLine { $0.hasSuffix(" " + fileA) }
        #expect(run.stop() == 0)
        #expect(line == row(pid: a.processIdentifier, comm: "sh", fd: 3, err: 0, path: fileA))
        #expect(!run.lines.contains { $0.hasSuffix(fileB) })
        #expect(run.lines.dropFirst().allSatisfy { $0.hasPrefix(left(String(a.processIdentifier), 6) + " ") })
    }

    @Test func fullPathOfRelativeOpens() throws {
        let file = try uniqueFile("rel")
        let name = URL(fileURLWithPath: file).lastPathComponent
        let missing = uniqueName("nope")
        let run = try ToolRun("opensnoop", ["-F"])
        try run.waitUntilReady()
        try runCommand("/bin/cat", [name, missing], cwd: dir.path)
        let opened = run.waitForLine { $0.hasSuffix(name) }
        let failed = run.waitForLine { $0.hasSuffix(missing) }
        #expect(run.stop() == 0)
        #expect(opened?.hasSuffix("   3   0 " + file) == true, "\(opened ?? "none")")
        #expect(failed?.hasSuffix("  -1   2 " + dir.path + "/" + missing) == true, "\(failed ?? "none")")

        let plain = try ToolRun("opensnoop", [])
        try plain.waitUntilReady()
        try runCommand("/bin/cat", [name], cwd: dir.path)
        let relative = plain.waitForLine { $0.hasSuffix(name) }
        #expect(plain.stop() == 0)
        #expect(relative?.hasSuffix("   0 " + name) == true)
    }

    @Test func extendedFieldsAndFlagFilter() throws {
        let target = dir.path + "/" + uniqueName("new")
        let readable = try uniqueFile("r")
        let run = try ToolRun("opensnoop", ["-e", "-f", "O_CREAT"])
        try run.waitUntilReady(header: "PID    COMM               FD ERR FLAGS    MODE PATH")
        try runCommand("/bin/cat", [readable])
        try runCommand("/bin/sh", ["-c", "umask 022; : > \(target)"])
        let line = run.waitForLine { $0.hasSuffix(target) }
        #expect(run.stop() == 0)
        // sh's `>`: O_WRONLY|O_CREAT|O_TRUNC with mode 0666
        #expect(line?.hasSuffix("   0 00001101 0666 " + target) == true, "\(line ?? "none")")
        #expect(!run.lines.contains { $0.hasSuffix(readable) })
    }

    @Test func timestampUIDAndTIDColumns() throws {
        let file = try uniqueFile()
        let run = try ToolRun("opensnoop", ["-TU"])
        try run.waitUntilReady(header: "TIME(s)       UID   PID    COMM               FD ERR PATH")
        let (pid, _) = try runCommand("/bin/cat", [file])
        let line = try #require(run.waitForLine { $0.hasSuffix(file) })
        #expect(run.stop() == 0)
        let pattern = #"^\d+\.\d{9} +0     "# + left(String(pid), 6) + " cat  "
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")

        let tidRun = try ToolRun("opensnoop", ["-t", "1"])
        try tidRun.waitUntilReady(header: "TID    COMM               FD ERR PATH")
        #expect(tidRun.stop() == 0)
    }

    @Test func jsonLines() throws {
        let run = try ToolRun("opensnoop", ["--json", "-x"])
        let missing = dir.path + "/" + uniqueName("j")
        var line: String?
        for _ in 0..<50 where line == nil {  // no header in JSON mode: retry until attached
            try runCommand("/bin/cat", [missing])
            line = run.waitForLine(timeout: 0.2) { $0.contains(missing) }
        }
        // The timestamp is when the open happened (the BPF side reads the clock for --json),
        // not when its row was read: the reader is stopped while the open runs, and for 0.5 s after.
        let late = dir.path + "/" + uniqueName("late")
        kill(run.process.processIdentifier, SIGSTOP)
        let before = Date()
        try runCommand("/bin/cat", [late])
        let after = Date()
        Thread.sleep(forTimeInterval: 0.5)
        kill(run.process.processIdentifier, SIGCONT)
        let lateLine = run.waitForLine(timeout: 5) { $0.contains(late) }
        #expect(run.stop() == 0)
        let text = try #require(line)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["comm"] as? String == "cat")
        #expect(object["fd"] as? Int == -1)
        #expect(object["err"] as? Int == 2)
        #expect(object["path"] as? String == missing)
        let lateText = try #require(lateLine)
        let lateObject = try #require(JSONSerialization.jsonObject(with: Data(lateText.utf8)) as? [String: Any])
        let seconds = try #require(Self.epochSeconds(rfc3339: lateObject["timestamp"] as? String ?? ""), "\(lateObject)")
        #expect(seconds >= before.timeIntervalSince1970 - 0.01 && seconds <= after.timeIntervalSince1970 + 0.01,
                "\(seconds) not within [\(before.timeIntervalSince1970), \(after.timeIntervalSince1970)]")
    }

    /// "2026-12-02T16:31:17.381340407+00:00" as seconds since the epoch.
    static func epochSeconds(rfc3339 text: String) -> Double? {
        let parts = text.split(whereSeparator: { "-T:+".contains($0) }).map(String.init)
        guard parts.count == 8, text.hasSuffix("+00:00"), let seconds = Double(parts[5]),
              let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]),
              let hour = Int32(parts[3]), let minute = Int32(parts[4]) else { return nil }
        var date = tm()
        (date.tm_year, date.tm_mon, date.tm_mday, date.tm_hour, date.tm_min) = (year - 1900, month - 1, day, hour, minute)
        return Double(timegm(&date)) + seconds
    }

    @Test func durationEndsTheTraceByItself() throws {
        let start = Date()
        let run = try ToolRun("opensnoop", ["-d", "1"])
        #expect(run.waitForExit(timeout: 15) == 0)
        #expect(Date().timeIntervalSince(start) >= 1)
        #expect(run.lines.first == Self.header)
    }

    @Test func lostEventsAreCountedAndReported() throws {
        let file = try uniqueFile("storm")
        let run = try ToolRun("opensnoop", ["-b", "1"])  // a one-page ring
        try run.waitUntilReady()
        // The reader is stopped while the storm runs, so the ring surely overflows.
        kill(run.process.processIdentifier, SIGSTOP)
        let storm = 2000
        let (pid, _) = try runCommand("/bin/sh", ["-c", "i=0; while [ $i -lt \(storm) ]; do : < \(file); i=$((i+1)); done"])
        kill(run.process.processIdentifier, SIGCONT)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(run.stop() == 0)
        let prefix = left(String(pid), 6) + " "
        let seen = run.lines.filter { $0.hasPrefix(prefix) && $0.hasSuffix(" " + file) }.count
        let lost = run.stderr.split(separator: "\n").compactMap { line -> Int? in
            guard line.hasPrefix("Possibly lost "), line.hasSuffix(" samples") else { return nil }
            return Int(line.dropFirst("Possibly lost ".count).dropLast(" samples".count))
        }.reduce(0, +)
        #expect(lost > 0, "\(run.stderr)")
        #expect(seen < storm)
        #expect(seen + lost >= storm, "seen \(seen) + lost \(lost) < \(storm)")
    }

    /// `| head -1` takes the header and goes away; the tool ends at once with status 0, without
    /// waiting for an event to write (there are no failed opens of this pattern).
    @Test func closedPipeEndsItAtOnceWithStatusZero() throws {
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", "\(Products.binary("opensnoop")) -x -n no-such-command | head -1; echo status=${PIPESTATUS[0]}"]
        let out = Pipe()
        shell.standardOutput = out
        shell.standardError = FileHandle.nullDevice
        let start = Date()
        try shell.run()
        shell.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == Self.header + "\nstatus=0\n")
        #expect(Date().timeIntervalSince(start) < 10)
    }

    /// Where the return programs that read the arguments themselves do not load (kernels before
    /// 5.15; forced here), the entry programs keep them, and rows are the same.
    @Test func entryProgramsWhereTheReturnCannotReadTheArguments() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = "tp_exit_open_regs,tp_exit_openat_regs,tp_exit_openat2_regs"
        let run = try catOpensAUniqueFile(["-v"], environment: environment)
        #expect(run.stderr.contains("openat entry: using tracepoint syscalls:sys_enter_openat (tp_enter_openat)"), "\(run.stderr)")
        #expect(run.stderr.contains("openat return: using tracepoint syscalls:sys_exit_openat (tp_exit_openat)"), "\(run.stderr)")

        let fast = try ToolRun("opensnoop", ["-v"])
        try fast.waitUntilReady(header: Self.header)
        #expect(fast.stop() == 0)
        #expect(fast.stderr.contains("openat entry: skipped"), "\(fast.stderr)")
        #expect(fast.stderr.contains("openat return: using tracepoint syscalls:sys_exit_openat (tp_exit_openat_regs)"), "\(fast.stderr)")
    }

    /// Where bpf_task_pt_regs() exists (this kernel), one program per call runs, at its return.
    @Test func leavesNoProgramOrLinkBehind() throws {
        let names: Set = ["tp_exit_open_regs", "tp_exit_openat_regs", "tp_exit_openat2_regs", "tp_enter_open", "tp_enter_openat", "tp_enter_openat2"]
        let run = try ToolRun("opensnoop", [])
        try run.waitUntilReady()
        let programs = try loadedPrograms(named: names)
        #expect(Set(programs.map(\.name)) == ["tp_exit_open_regs", "tp_exit_openat_regs", "tp_exit_openat2_regs"], "\(programs)")
        #expect(try linksOf(programs: Set(programs.map(\.id))).count == 3)
        #expect(run.stop() == 0)
        #expect(try loadedPrograms(named: names).isEmpty)
        #expect(try linksOf(programs: Set(programs.map(\.id))).isEmpty)
    }
}
