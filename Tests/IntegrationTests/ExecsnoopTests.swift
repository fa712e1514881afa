import Foundation
import Testing

/// execsnoop run as root against execs the tests make.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class ExecsnoopTests {
    let dir: TempDir
    let myPID = String(getpid())

    init() throws { dir = try TempDir("execsnoop-test") }
    deinit { dir.remove() }

    /// A copy of /bin/true under a unique name, so its rows can be told from any other exec.
    func uniqueProgram(_ prefix: String = "xs") throws -> (path: String, comm: String) {
        try dir.copy(of: "/bin/true", prefix: prefix)
    }

    /// Arguments that exercise quoting, spaces, newlines, a long argument and a long list.
    static let trickyArgs = ["plain", String(repeating: "x", count: 200), "with space", "quo\"te", "new\nline"]
        + (1...22).map { "a\($0)" }

    func expectedRow(comm: String, pid: Int32, ret: Int = 0, args: String) -> String {
        left(comm, 16) + " " + left(String(pid), 7) + " " + left(myPID, 7) + " " + right(String(ret), 3) + " " + args
    }

    /// The programs that send an exec whole (Linux 5.17+): avoided, the arguments are read at
    /// syscall entry, as on older kernels.
    static let wholeExecPrograms = "tp_sched_exec_args,tp_exit_execve_regs,tp_exit_execveat_regs"
    static var argumentsAtEntry: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = wholeExecPrograms
        return environment
    }

    @Test(arguments: [false, true])
    func showsAnExecWithAllItsArgumentsWhenLimitsAreRaised(atEntry: Bool) throws {
        let run = try ToolRun("execsnoop", ["--max-args", "64", "--max-arg-size", "512"],
                              environment: atEntry ? Self.argumentsAtEntry : ProcessInfo.processInfo.environment)
        try run.waitUntilReady(header: "COMM             PID     PPID    RET ARGS")
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, Self.trickyArgs)
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        let args = ([program.path] + Self.trickyArgs).joined(separator: " ").replacingOccurrences(of: "\n", with: "\\n")
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: args))
        // other processes (parallel tests) may have long arguments: only this exec's cut counts
        #expect(!run.stderr.contains("an argument of \(program.comm) (PID \(pid))"), "\(run.stderr)")
    }

    @Test(arguments: [false, true])
    func defaultLimitsAreBCCsAndCuttingIsReported(atEntry: Bool) throws {
        let run = try ToolRun("execsnoop", [], environment: atEntry ? Self.argumentsAtEntry : ProcessInfo.processInfo.environment)
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, Self.trickyArgs)
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        // 20 entries: the filename and 19 arguments, the 200-byte one cut to 128 bytes (as BCC), then "...".
        var shown = [program.path] + Self.trickyArgs.prefix(19)
        shown[2] = String(repeating: "x", count: 128)
        let args = (shown + ["..."]).joined(separator: " ").replacingOccurrences(of: "\n", with: "\\n")
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: args))
        #expect(run.stderr.contains("longer than 128 bytes was cut"))
    }

    /// The programs kernels before 5.17 get (no bpf_loop), forced here: BCC's defaults fit
    /// them; more is cut at 20 arguments of 255 bytes, and said so.
    @Test func programsWithoutBPFLoop() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = Self.wholeExecPrograms + ",tp_enter_execve,tp_enter_execveat,tp_sched_exec"
        let run = try ToolRun("execsnoop", ["-v"], environment: environment)
        try run.waitUntilReady(header: "COMM             PID     PPID    RET ARGS")
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, Self.trickyArgs)
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        var shown = [program.path] + Self.trickyArgs.prefix(19)
        shown[2] = String(repeating: "x", count: 128)
        #expect(line == expectedRow(comm: program.comm, pid: pid,
                                    args: (shown + ["..."]).joined(separator: " ").replacingOccurrences(of: "\n", with: "\\n")))
        #expect(run.stderr.contains("execve entry: using tracepoint syscalls:sys_enter_execve (tp_enter_execve_noloop)"), "\(run.stderr)")

        let raised = try ToolRun("execsnoop", ["--max-args", "64", "--max-arg-size", "512"], environment: environment)
        try raised.waitUntilReady()
        let (pid2, _) = try runCommand(program.path, Self.trickyArgs)
        let line2 = raised.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(raised.stop() == 0)
        var shown2 = [program.path] + Self.trickyArgs.prefix(19)
        shown2[2] = String(Self.trickyArgs[1].prefix(255))
        #expect(line2 == expectedRow(comm: program.comm, pid: pid2,
                                     args: (shown2 + ["..."]).joined(separator: " ").replacingOccurrences(of: "\n", with: "\\n")))
        #expect(raised.stderr.contains("execsnoop: this kernel has no bpf_loop (Linux 5.17+): at most 20 arguments of 255 bytes"),
                "\(raised.stderr)")
    }

    @Test(arguments: [false, true])
    func exactlyMaxArgsIsNotMarkedTruncated(atEntry: Bool) throws {
        let run = try ToolRun("execsnoop", ["--max-args", "3"], environment: atEntry ? Self.argumentsAtEntry : ProcessInfo.processInfo.environment)
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, ["one", "two"])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: "\(program.path) one two"))
    }

    @Test func quoteFlagQuotesEveryArgument() throws {
        let run = try ToolRun("execsnoop", ["-q"])
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, ["a b", "say \"hi\""])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: "\"\(program.path)\" \"a b\" \"say \\\"hi\\\"\""))
    }

    @Test(arguments: [false, true])
    func failedExecsAppearOnlyWithX(atEntry: Bool) throws {
        let missing = "/nonexistent/" + uniqueName("nx")
        for withX in [false, true] {
            let run = try ToolRun("execsnoop", withX ? ["-x"] : [], environment: atEntry ? Self.argumentsAtEntry : ProcessInfo.processInfo.environment)
            try run.waitUntilReady()
            let (shPID, _) = try runCommand("/bin/sh", ["-c", "exec \(missing) arg1"])
            let marker = try uniqueProgram()
            try runCommand(marker.path, [])
            // Rows come in the order the execs returned: once the marker is shown, so is the failure.
            #expect(run.waitForLine { $0.hasPrefix(marker.comm + " ") } != nil)
            #expect(run.stop() == 0)
            let failure = run.lines.first { $0.hasSuffix(" -2 \(missing) arg1") }
            if withX {
                #expect(failure == left("sh", 16) + " " + left(String(shPID), 7) + " " + left(myPID, 7) + " " + right("-2", 3) + " \(missing) arg1")
            } else {
                #expect(failure == nil)
            }
        }
    }

    @Test func ppidFilterKeepsOnlyThatParentsChildren() throws {
        let run = try ToolRun("execsnoop", ["-P", myPID])
        try run.waitUntilReady()
        let grandchild = try uniqueProgram("gc")
        let child = try uniqueProgram("ch")
        try runCommand("/bin/sh", ["-c", "\(grandchild.path) x; true"])  // grandchild's parent is sh
        try runCommand(child.path, [])
        #expect(run.waitForLine { $0.hasPrefix(child.comm + " ") } != nil)
        #expect(run.stop() == 0)
        #expect(!run.lines.contains { $0.hasPrefix(grandchild.comm) })
        #expect(run.lines.contains { $0.hasPrefix("sh ") })  // sh itself is our child
    }

    @Test func uidFilterIncludingRoot() throws {
        let asOther = try uniqueProgram("uo")
        let asRoot = try uniqueProgram("ur")
        // -u 0 keeps root's execs (BCC ignores -u 0)
        let rootRun = try ToolRun("execsnoop", ["-u", "0", "-U"])
        try rootRun.waitUntilReady()
        try runCommand("/usr/bin/setpriv", ["--reuid", "4242", "--regid", "4242", "--clear-groups", asOther.path])
        try runCommand(asRoot.path, [])
        #expect(rootRun.waitForLine { $0.contains(" " + asRoot.comm + " ") }?.hasPrefix("0     ") == true)
        #expect(rootRun.stop() == 0)
        #expect(!rootRun.lines.contains { $0.contains(" " + asOther.comm + " ") })

        let otherRun = try ToolRun("execsnoop", ["-u", "4242", "-U"])
        try otherRun.waitUntilReady()
        try runCommand(asRoot.path, [])
        try runCommand("/usr/bin/setpriv", ["--reuid", "4242", "--regid", "4242", "--clear-groups", asOther.path])
        #expect(otherRun.waitForLine { $0.contains(" " + asOther.comm + " ") }?.hasPrefix("4242  ") == true)
        #expect(otherRun.stop() == 0)
        #expect(!otherRun.lines.contains { $0.contains(" " + asRoot.comm + " ") })
    }

    @Test func nameAndLineRegexFilters() throws {
        let wanted = try uniqueProgram("nw")
        let other = try uniqueProgram("no")
        let run = try ToolRun("execsnoop", ["-n", "^nw[0-9a-f]+$"])
        try run.waitUntilReady()
        try runCommand(other.path, [])
        try runCommand(wanted.path, [])
        #expect(run.waitForLine { $0.hasPrefix(wanted.comm) } != nil)
        #expect(run.stop() == 0)
        #expect(!run.lines.contains { $0.hasPrefix(other.comm) })

        let lineRun = try ToolRun("execsnoop", ["-l", "needle-[0-9]+"])
        try lineRun.waitUntilReady()
        try runCommand(other.path, ["haystack"])
        try runCommand(wanted.path, ["needle-42"])
        #expect(lineRun.waitForLine { $0.hasPrefix(wanted.comm) } != nil)
        #expect(lineRun.stop() == 0)
        #expect(!lineRun.lines.contains { $0.hasPrefix(other.comm) })
    }

    @Test func optionalColumns() throws {
        let run = try ToolRun("execsnoop", ["-TtUCM"])
        try run.waitUntilReady(header: "TIME     TIME(s) UID   COMM             PID     PCOMM            PPID    CPU  RET ARGS")
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(program.path, ["z"])
        let line = try #require(run.waitForLine { $0.contains(" " + program.comm + " ") })
        #expect(run.stop() == 0)
        let pattern = #"^\d\d:\d\d:\d\d \d+\.\d{3} *0     "# + NSRegularExpression.escapedPattern(for: left(program.comm, 16))
            // PCOMM is the spawning thread's name (the parent task is that thread, as in BCC)
            + " " + left(String(pid), 7) + " " + #"\S.{15} "#
            + left(myPID, 7) + #" \d +  0 "# + NSRegularExpression.escapedPattern(for: program.path) + " z$"
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line) !~ \(pattern)")
    }

    @Test func jsonLines() throws {
        let run = try ToolRun("execsnoop", ["--json", "-U"])
        let program = try uniqueProgram()
        var line: String?
        for _ in 0..<50 where line == nil {  // no header in JSON mode: retry until attached
            try runCommand(program.path, ["a b", "new\nline"])
            line = run.waitForLine(timeout: 0.2) { $0.contains(program.comm) }
        }
        #expect(run.stop() == 0)
        let text = try #require(line)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["comm"] as? String == program.comm)
        #expect(object["args"] as? [String] == [program.path, "a b", "new\nline"])
        #expect(object["ret"] as? Int == 0)
        #expect(object["uid"] as? Int == 0)
        #expect(object["ppid"] as? Int == Int(getpid()))
        #expect(object["args_truncated"] as? Bool == false)
    }

    /// Compiles a small C program for a workload the shell cannot make.
    func compile(_ name: String, _ source: String, flags: [String] = []) throws -> String {
        let binary = dir.path + "/" + name
        let file = binary + ".c"
        try source.write(toFile: file, atomically: true, encoding: .utf8)
        let compiler = try #require(["/usr/bin/cc", "/usr/bin/clang", "/opt/swift/usr/bin/clang"]
            .first { FileManager.default.isExecutableFile(atPath: $0) }, "no C compiler")
        #expect(try runCommand(compiler, ["-o", binary, file] + flags).status == 0)
        return binary
    }

    /// A thread other than the main one execs: the kernel gives it the process's id, so the
    /// syscall returns under another thread id than it entered with.
    @Test func execFromASecondThread() throws {
        let helper = try compile("thread-exec", """
        #include <pthread.h>
        #include <unistd.h>
        static char *path;
        static void *run(void *arg) { char *args[] = { path, "from-thread", 0 }; execv(path, args); return 0; }
        int main(int argc, char **argv) { pthread_t t; path = argv[1]; pthread_create(&t, 0, run, 0); pthread_join(t, 0); return 1; }
        """, flags: ["-pthread"])
        let run = try ToolRun("execsnoop", [])
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let (pid, status) = try runCommand(helper, [program.path])
        #expect(status == 0)
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: "\(program.path) from-thread"))
    }

    /// An argument on a page the caller never touched is not in memory when exec() is entered
    /// (BCC prints it empty); execsnoop reads it again from the new program. (Where the exec is
    /// sent whole, it is read from the new program anyway.)
    @Test(arguments: [false, true])
    func argumentsOnUntouchedPagesAreRecovered(atEntry: Bool) throws {
        let helper = try compile("untouched-args", """
        #include <unistd.h>
        __attribute__((aligned(8192))) static const char pad[8192] = "x";
        __attribute__((aligned(4096))) static const char untouched[] = "on-an-untouched-page";
        int main(int argc, char **argv) {
            char *args[] = { argv[1], (char *)untouched, 0 };
            (void)pad;
            execv(argv[1], args);
            return 1;
        }
        """)
        let run = try ToolRun("execsnoop", ["--json"], environment: atEntry ? Self.argumentsAtEntry : ProcessInfo.processInfo.environment)
        let program = try uniqueProgram()
        var line: String?
        for _ in 0..<50 where line == nil {  // no header in JSON mode: retry until attached
            try runCommand(helper, [program.path])
            line = run.waitForLine(timeout: 0.2) { $0.contains("\"comm\": \"\(program.comm)\"") }
        }
        #expect(run.stop() == 0)
        let text = try #require(line)
        let object = try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["args"] as? [String] == [program.path, "on-an-untouched-page"])
    }

    @Test func execveatIsTraced() throws {
        let helper = try compile("execveat-helper", """
        #define _GNU_SOURCE
        #include <unistd.h>
        #include <fcntl.h>
        #include <sys/syscall.h>
        int main(int argc, char **argv) {
            char *args[] = { argv[1], "via-execveat", 0 };
            char *env[] = { 0 };
            return (int)syscall(SYS_execveat, AT_FDCWD, argv[1], args, env, 0);
        }
        """)
        let run = try ToolRun("execsnoop", [])
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let (pid, _) = try runCommand(helper, [program.path])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: "\(program.path) via-execveat"))
    }

    @Test func cgroupFilter() throws {
        let mountPoint = try TempDir("cg2")
        defer { mountPoint.remove() }
        #expect(try runCommand("/bin/mount", ["-t", "cgroup2", "none", mountPoint.path]).status == 0)
        defer { _ = try? runCommand("/bin/umount", [mountPoint.path]) }
        let group = mountPoint.path + "/" + uniqueName("t")
        try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: group) }

        let inside = try uniqueProgram("in")
        let outside = try uniqueProgram("out")
        let run = try ToolRun("execsnoop", ["--cgroup", group])
        try run.waitUntilReady()
        try runCommand(outside.path, [])
        try runCommand("/bin/sh", ["-c", "echo $$ > \(group)/cgroup.procs && exec \(inside.path)"])
        #expect(run.waitForLine { $0.hasPrefix(inside.comm) } != nil)
        #expect(run.stop() == 0)
        #expect(!run.lines.contains { $0.hasPrefix(outside.comm) })
    }

    @Test func closedPipeEndsQuietlyWithStatusZero() throws {
        let program = try uniqueProgram()
        // whole arguments: another suite's long command line, cut, would be noted on stderr
        let script = "\(Products.binary("execsnoop")) --max-arg-size 131072 | head -1; echo status=${PIPESTATUS[0]}"
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = ["-c", script]
        let out = Pipe(), err = Pipe()
        shell.standardOutput = out
        shell.standardError = err
        try shell.run()
        // The header fills `head`; the tool notices the closed pipe at its next row.
        let deadline = Date().addingTimeInterval(20)
        while shell.isRunning && Date() < deadline {
            try runCommand(program.path, [])
            Thread.sleep(forTimeInterval: 0.1)
        }
        shell.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == "COMM             PID     PPID    RET ARGS\nstatus=0\n")
        #expect(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) == "")
    }

    @Test func verboseNamesTheChosenProbes() throws {
        let run = try ToolRun("execsnoop", ["-v"])
        try run.waitUntilReady()
        #expect(run.stop() == 0)
        // this kernel (5.17+): an exec is sent whole from sched_process_exec, a failure from the return
        for call in ["execve", "execveat"] {
            #expect(run.stderr.contains("execsnoop: \(call) entry: skipped; passed over tracepoint syscalls:sys_enter_\(call): not needed"), "\(run.stderr)")
            #expect(run.stderr.contains("execsnoop: \(call) return: using tracepoint syscalls:sys_exit_\(call) (tp_exit_\(call)_regs)"), "\(run.stderr)")
        }
        #expect(run.stderr.contains("execsnoop: exec: using tracepoint sched:sched_process_exec (tp_sched_exec_args)"), "\(run.stderr)")

        let atEntry = try ToolRun("execsnoop", ["-v"], environment: Self.argumentsAtEntry)
        try atEntry.waitUntilReady()
        #expect(atEntry.stop() == 0)
        for role in ["execve entry", "execve return", "execveat entry", "execveat return"] {
            let call = role.hasPrefix("execveat") ? "execveat" : "execve"
            let point = role.hasSuffix("entry") ? "sys_enter_\(call)" : "sys_exit_\(call)"
            #expect(atEntry.stderr.contains("execsnoop: \(role): using tracepoint syscalls:\(point)"), "\(atEntry.stderr)")
        }
        #expect(atEntry.stderr.contains("execsnoop: exec: using tracepoint sched:sched_process_exec (tp_sched_exec)"), "\(atEntry.stderr)")
    }

    /// A command line too long to be sent in one copy (12 KiB) goes piece by piece, whole.
    @Test func longCommandLineIsSentInPieces() throws {
        let run = try ToolRun("execsnoop", ["--max-args", "100", "--max-arg-size", "1000"])
        try run.waitUntilReady()
        let program = try uniqueProgram()
        let long = (0..<40).map { i in String(repeating: Character(UnicodeScalar(UInt8(97 + i % 26))), count: 600) + "\(i)" }
        let (pid, _) = try runCommand(program.path, long)
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line == expectedRow(comm: program.comm, pid: pid, args: ([program.path] + long).joined(separator: " ")))
    }

    /// The first run caches a minimal BTF that the next runs relocate with; a damaged cache
    /// file is noticed, removed and rebuilt.
    @Test func minimalBTFCache() throws {
        let cacheDir = "/run/swift-bpf-tools"
        func cached() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []).filter { $0.hasPrefix("execsnoop-") && $0.hasSuffix(".btf") }
        }
        for file in cached() { try FileManager.default.removeItem(atPath: cacheDir + "/" + file) }
        let program = try uniqueProgram()
        for round in 0..<3 {
            if round == 2, let file = cached().first {
                try Data("not BTF".utf8).write(to: URL(fileURLWithPath: cacheDir + "/" + file))
            }
            let run = try ToolRun("execsnoop", ["-v"])
            try run.waitUntilReady()
            let (pid, _) = try runCommand(program.path, ["r\(round)"])
            let line = run.waitForLine { $0.hasPrefix(program.comm + " ") && $0.hasSuffix(" r\(round)") }
            Thread.sleep(forTimeInterval: 0.2)  // the cache is written just after start-up
            #expect(run.stop() == 0)
            #expect(line == expectedRow(comm: program.comm, pid: pid, args: "\(program.path) r\(round)"))
            switch round {
            case 0: #expect(!run.stderr.contains("cached minimal BTF"))
            case 1: #expect(run.stderr.contains("relocated with the cached minimal BTF"), "\(run.stderr)")
            default: #expect(run.stderr.contains("was rejected; using the kernel's"), "\(run.stderr)")
            }
            #expect(cached().count == 1, "round \(round): \(cached())")
        }
    }

    @Test func sigtermDetachesAndLeavesNoProgramBehind() throws {
        // programs of earlier runs may still be being freed: only this run's are followed
        let names: Set = ["tp_exit_execve_regs", "tp_exit_execveat_regs", "tp_sched_exec_args"]
        let before = Set(try loadedPrograms(named: names).map(\.id))
        let run = try ToolRun("execsnoop", [])
        try run.waitUntilReady()
        let programs = try loadedPrograms(named: names).filter { !before.contains($0.id) }
        #expect(programs.count == 3, "\(programs)")
        #expect(try linksOf(programs: Set(programs.map(\.id))).count == programs.count)
        #expect(run.stop(SIGTERM) == 0)
        let ids = Set(programs.map(\.id))
        #expect(try loadedPrograms(named: names).filter { ids.contains($0.id) }.isEmpty)
        #expect(try linksOf(programs: ids).isEmpty)
    }
}
