import Foundation
import Testing

/// opensnoop where BCC's output is the spec: path length, -F's joined (unresolved) paths,
/// -x -T's clock, --exec, -f O_FSYNC.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class OpensnoopBCCTests {
    let dir: TempDir

    init() throws { dir = try TempDir("opensnoop-bcc") }
    deinit { dir.remove() }

    /// A relative path of 300 bytes (three components) that does not exist.
    var longMissing: String { [String(repeating: "a", count: 100), String(repeating: "b", count: 100), uniqueName("c") + String(repeating: "c", count: 83)].joined(separator: "/") }

    @Test func pathsAreCutAsBCCCutsThemUnlessAsked() throws {
        let missing = longMissing
        #expect(missing.utf8.count == 300)
        let cut = try ToolRun("opensnoop", ["-x"])
        try cut.waitUntilReady()
        try runCommand("/bin/cat", [missing], cwd: dir.path)
        let shown = String(missing.prefix(254))
        let line = cut.waitForLine { $0.hasSuffix(" " + shown) }
        #expect(cut.stop() == 0)
        #expect(line != nil, "\(cut.lines.suffix(5))")
        #expect(cut.stderr.contains("longer than 254 bytes was cut"), "\(cut.stderr)")

        let whole = try ToolRun("opensnoop", ["-x", "--max-path-size", "4095"])
        try whole.waitUntilReady()
        try runCommand("/bin/cat", [missing], cwd: dir.path)
        #expect(whole.waitForLine { $0.hasSuffix(" " + missing) } != nil)
        #expect(whole.stop() == 0)
        #expect(!whole.stderr.contains("was cut"))
    }

    /// BCC's -F: the working directory, "/", and the name as given: "./" and links stay.
    @Test func fullPathJoinsTheNameAsGiven() throws {
        let target = uniqueName("tgt"), link = uniqueName("lnk")
        try "x\n".write(toFile: dir.path + "/" + target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/" + link, withDestinationPath: target)
        for (options, dotted, linked) in [(["-F"], "\(dir.path)/./\(target)", "\(dir.path)/\(link)"),
                                          (["-F", "--resolved-path"], "\(dir.path)/\(target)", "\(dir.path)/\(target)")] {
            let run = try ToolRun("opensnoop", options + ["-n", "cat"])
            try run.waitUntilReady()
            try runCommand("/bin/cat", ["./" + target], cwd: dir.path)
            let first = run.waitForLine { $0.hasSuffix(" " + dotted) }
            try runCommand("/bin/cat", [link], cwd: dir.path)
            let second = run.waitForLine { $0.hasSuffix(" " + linked) && $0 != first }
            #expect(run.stop() == 0)
            #expect(first != nil && second != nil, "\(options): \(run.lines.suffix(6))")
        }
    }

    /// BCC starts TIME(s) at the first open it sees, before -x drops the successful ones.
    @Test func failedOnlyTimestampsCountFromTheFirstOpenSeen() throws {
        let run = try ToolRun("opensnoop", ["-x", "-T"])
        try run.waitUntilReady()
        try runCommand("/bin/cat", ["/etc/hostname"])
        Thread.sleep(forTimeInterval: 0.5)
        let missing = dir.path + "/" + uniqueName("late")
        try runCommand("/bin/cat", [missing])
        let line = run.waitForLine { $0.hasSuffix(" " + missing) }
        #expect(run.stop() == 0)
        let seconds = try #require(line.flatMap { Double($0.split(separator: " ").first ?? "") }, "\(run.lines)")
        #expect(seconds >= 0.4, "TIME(s) \(seconds): the clock started at the failed open")
        #expect(!run.lines.dropFirst().contains { $0.hasSuffix(" /etc/hostname") })
    }

    @Test func execTracesOnlyItsCommandAndEndsWithIt() throws {
        let file = dir.path + "/" + uniqueName("exec")
        try "x\n".write(toFile: file, atomically: false, encoding: .utf8)
        let run = try ToolRun("opensnoop", ["-f", "O_FSYNC", "-f", "O_RDONLY", "--exec", "/bin/cat", file])
        #expect(run.waitForExit(timeout: 20) == 0, "\(run.stderr)")
        // the header, then only what cat itself printed (it shares the tool's stdout): -f
        // O_RDONLY never matches (its bits are 0), and cat opens nothing with O_FSYNC
        #expect(run.lines == ["PID    COMM               FD ERR PATH", "x"], "\(run.lines)")

        let plain = try ToolRun("opensnoop", ["--exec", "/bin/cat", file])
        #expect(plain.waitForExit(timeout: 20) == 0, "\(plain.stderr)")
        let rows = plain.lines.dropFirst().filter { $0 != "x" }
        #expect(rows.contains { $0.hasSuffix(" " + file) }, "\(plain.lines)")
        #expect(rows.allSatisfy { $0.split(separator: " ").dropFirst().first == "cat" }, "\(plain.lines)")

        for (arguments, message) in [(["--exec"], "ERROR: --exec without command. Exiting.\n"),
                                     (["-p", "1", "--exec", "/bin/true"], "ERROR: can only use -p or --exec. Exiting.\n")] {
            let bad = try ToolRun("opensnoop", arguments)
            #expect(bad.waitForExit() == 2)
            #expect(bad.stderr == message)
        }
    }
}
