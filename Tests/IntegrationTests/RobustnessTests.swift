import Foundation
import Testing

/// The tools against what an unprivileged user or a careless caller can do to them: hostile
/// names and arguments, files planted where the tools read, stdout nobody reads or nobody
/// opened, hang-ups, capability-only privileges.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class RobustnessTests {
    let dir: TempDir

    init() throws { dir = try TempDir("robustness-test") }
    deinit { dir.remove() }

    /// A copy of /bin/true under a unique name.
    func uniqueProgram() throws -> (path: String, comm: String) { try dir.copy(of: "/bin/true", prefix: "rb") }

    @Test(arguments: [[String](), ["-q"]])
    func controlCharactersInArgumentsAreEscaped(options: [String]) throws {
        let run = try ToolRun("execsnoop", options)
        try run.waitUntilReady()
        let program = try uniqueProgram()
        try runCommand(program.path, ["a\u{1b}]0;owned\u{7}b", "c\rd\u{8}e", "f\u{9b}2Jg"])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        let shown = options.isEmpty ? "a\\x1b]0;owned\\x07b c\\x0dd\\x08e f\\x9b2Jg" : "\"a\\x1b]0;owned\\x07b\" \"c\\x0dd\\x08e\" \"f\\x9b2Jg\""
        #expect(line?.hasSuffix(shown) == true, "\(line ?? "no row")")
        #expect(run.lines.allSatisfy { !$0.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) } })
    }

    /// -l sees the arguments before -q's quotes, as BCC's does.
    @Test func lineFilterMatchesTheRawArguments() throws {
        let program = try uniqueProgram()
        let run = try ToolRun("execsnoop", ["-q", "-l", "^" + program.path + " marker$"])
        try run.waitUntilReady()
        try runCommand(program.path, ["marker"])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0)
        #expect(line?.hasSuffix("\"\(program.path)\" \"marker\"") == true, "\(run.lines)")
    }

    /// `(a+)+$` against a long run of a's takes a backtracking engine years; the tool must
    /// print the row and still stop at once on SIGINT.
    @Test func catastrophicRegexDoesNotStallTheTool() throws {
        let run = try ToolRun("execsnoop", ["-n", "(a+)+$"])
        try run.waitUntilReady()
        let program = try uniqueProgram()
        try runCommand(program.path, [String(repeating: "a", count: 60) + "!", String(repeating: "a", count: 60)])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(line != nil)
        #expect(run.stop(SIGINT, timeout: 5) == 0)
    }

    /// stdout a pipe nobody reads: the tool blocks in write(), and SIGTERM must still end it.
    @Test func signalEndsAToolBlockedOnAFullPipe() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Products.binary("execsnoop"))
        let stuck = Pipe(), err = Pipe()
        process.standardOutput = stuck  // never read
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        defer { process.kill() }
        Thread.sleep(forTimeInterval: 2)
        let program = try uniqueProgram()
        let long = String(repeating: "z", count: 120)
        // ~300 KB of rows: more than the pipe and the tool's own buffer hold
        try runCommand("/bin/sh", ["-c", "for i in $(seq 700); do \"$0\" \(long) \(long) \(long); done", program.path])
        Thread.sleep(forTimeInterval: 0.3)
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!process.isRunning, "still running 5 s after SIGTERM")
        process.kill()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    }

    /// `tool >&-`: the first file the tool opens must not become its stdout.
    @Test func closedStdoutIsNotAnError() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec \"$0\" -d 1 >&-", Products.binary("opensnoop")]
        let err = Pipe()
        process.standardError = err
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.isEmpty, "\(text)")
    }

    /// SIGHUP (the terminal closed) ends a summary tool with its report, like SIGTERM.
    @Test func hangupPrintsTheFinalReport() throws {
        let run = try ToolRun("profile", ["-K"])
        try run.waitUntilReady()
        Thread.sleep(forTimeInterval: 1)
        #expect(run.stop(SIGHUP) == 0)
        #expect(run.process.terminationReason == .exit)
        #expect(run.lines.count >= 2 && run.lines[1].isEmpty, "\(run.lines)")  // the report's blank line
    }

    /// The capability mode the README documents: no root, only the capabilities each tool
    /// needs (setpriv drops to nobody and keeps them as ambient capabilities).
    func runWithCapabilities(_ capabilities: String, _ tool: String, _ arguments: [String]) throws -> ToolRun {
        let caps = capabilities.split(separator: ",").map { "+" + $0 }.joined(separator: ",")
        return try ToolRun("execsnoop", [], executable: "/usr/bin/setpriv",
                           arguments: ["--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps", caps,
                                       "--ambient-caps", caps, Products.binary(tool)] + arguments)
    }

    @Test func capabilitiesInsteadOfRoot() throws {
        let run = try runWithCapabilities("bpf,perfmon,dac_read_search", "execsnoop", [])
        try run.waitUntilReady(header: "COMM             PID     PPID    RET ARGS")
        let program = try uniqueProgram()
        try runCommand(program.path, ["capmode"])
        let line = run.waitForLine { $0.hasPrefix(program.comm + " ") }
        #expect(run.stop() == 0, "\(run.stderr)")
        #expect(line?.hasSuffix(" capmode") == true, "\(run.lines) \(run.stderr)")

        let sampler = try runWithCapabilities("bpf,perfmon", "profile", ["-K", "1"])
        #expect(sampler.waitForExit() == 0, "\(sampler.stderr)")
        #expect(sampler.lines.first == "Sampling at 49 Hertz of all threads by kernel stack for 1 secs.")

        let noTracefs = try runWithCapabilities("bpf,perfmon", "execsnoop", [])
        #expect(noTracefs.waitForExit() == 1)
        #expect(noTracefs.stderr.contains("needs CAP_DAC_READ_SEARCH"), "\(noTracefs.stderr)")
    }

    /// A busy process of root's with something hostile at /tmp/perf-PID.map.
    func profileWithPerfMap(_ plant: (String) throws -> Void) throws -> ToolRun {
        let busy = Process()
        busy.executableURL = URL(fileURLWithPath: "/bin/sh")
        busy.arguments = ["-c", "while :; do :; done"]
        try busy.run()
        defer { busy.kill(); busy.waitUntilExit() }
        let map = "/tmp/perf-\(busy.processIdentifier).map"
        try plant(map)
        defer { unlink(map) }
        let run = try ToolRun("profile", ["-v", "-U", "-p", String(busy.processIdentifier), "1"])
        _ = run.waitForExit(timeout: 15)
        return run
    }

    @Test func aFifoPerfMapDoesNotHangTheReport() throws {
        let run = try profileWithPerfMap { #expect(mkfifo($0, 0o644) == 0) }
        #expect(run.process.terminationStatus == 0)
        #expect(run.lines.contains { $0.hasPrefix("    -                sh (") }, "\(run.lines)")
        #expect(run.stderr.contains("not a regular file"), "\(run.stderr)")
    }

    @Test func aPerfMapOfAnotherUserIsNotBelieved() throws {
        let run = try profileWithPerfMap { path in
            #expect(FileManager.default.createFile(atPath: path, contents: Data("0 ffffffffffffffff forged_by_4242\n".utf8)))
            #expect(chown(path, 4242, 4242) == 0)
        }
        #expect(run.process.terminationStatus == 0)
        #expect(!run.lines.contains { $0.contains("forged_by_4242") })
        #expect(run.stderr.contains("owned by UID 4242"), "\(run.stderr)")
    }

    /// Whatever sits at the BTF cache's path (a FIFO here) must not block start-up.
    @Test func aFifoInTheBTFCacheDoesNotBlockStartUp() throws {
        let cacheDir = "/run/swift-bpf-tools"
        func cached() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []).filter { $0.hasPrefix("tcpretrans-") && $0.hasSuffix(".btf") }
        }
        for file in cached() { unlink(cacheDir + "/" + file) }  // other builds' files
        let warm = try ToolRun("tcpretrans", [])
        try warm.waitUntilReady()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(warm.stop() == 0)
        let file = try #require(cached().first, "no cache file was written")
        unlink(cacheDir + "/" + file)
        #expect(mkfifo(cacheDir + "/" + file, 0o600) == 0)
        let run = try ToolRun("tcpretrans", [])
        try run.waitUntilReady(timeout: 10)
        #expect(run.stop() == 0)
        var st = stat()
        #expect(lstat(cacheDir + "/" + file, &st) != 0 || st.st_mode & S_IFMT == S_IFREG)
    }
}
