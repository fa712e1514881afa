import Foundation
import Testing

/// What a user typing the wrong thing sees: argparse's contract (usage line, `tool: error: …`,
/// status 2); runtime problems: one line and status 1. These need no BPF.
@Suite struct UsageTests {
    static let cases: [(tool: String, args: [String], message: String)] = [
        ("execsnoop", ["--bogus"], "execsnoop: error: unknown option '--bogus'"),
        ("execsnoop", ["--max-args", "0"], "execsnoop: error: argument --max-args: must be in [1, 4096]"),
        ("execsnoop", ["--max-args", "many"], "execsnoop: error: "),
        ("execsnoop", ["-P", "abc"], "execsnoop: error: "),
        ("execsnoop", ["-P", "0"], "execsnoop: error: argument -P/--ppid: invalid PID value: '0'"),
        ("execsnoop", ["-u", "no-such-user-xyz"], "execsnoop: error: argument -u/--uid: 'no-such-user-xyz' is not valid UID or user entry"),
        ("execsnoop", ["-n", "("], "execsnoop: error: argument -n/--name: invalid regular expression '('"),
        ("execsnoop", ["extra"], "execsnoop: error: "),
        ("opensnoop", ["-p", "abc"], "opensnoop: error: "),
        ("opensnoop", ["-p", "-5"], "opensnoop: error: "),
        ("opensnoop", ["-d", "0"], "opensnoop: error: argument -d/--duration: must be a positive number of seconds"),
        ("opensnoop", ["-f", "O_BOGUS"], "opensnoop: error: argument -f/--flag_filter: Bad flag: O_BOGUS"),
        ("opensnoop", ["-b", "3"], "opensnoop: error: argument -b/--buffer-pages: must be a power of two up to 262144"),
        // argparse's spellings: a unique prefix, a group ending in an option and its value, a
        // negative value (the errors are about the next option: the first ones were taken)
        ("execsnoop", ["--fail", "--time", "--max-args", "0"], "execsnoop: error: argument --max-args: must be in [1, 4096]"),
        ("execsnoop", ["-xu0", "--max-args", "0"], "execsnoop: error: argument --max-args: must be in [1, 4096]"),
        ("execsnoop", ["-P", "-1"], "execsnoop: error: argument -P/--ppid: invalid PID value: '-1'"),
        ("execsnoop", ["--ti"], "execsnoop: error: ambiguous option: --ti could match --time, --timestamp"),
        ("profile", ["-Lp123"], "profile: error: "),
        ("biolatency", ["--milli", "--time", "0"], "biolatency: error: argument interval: must be a positive number of seconds"),
        // numbers too large for the clocks they feed: usage errors, not a trap or nonsense
        ("opensnoop", ["-d", "99999999999"], "opensnoop: error: argument -d/--duration: must be at most 2147483647 seconds"),
        ("biolatency", ["20000000000"], "biolatency: error: argument interval: must be at most 2147483647 seconds"),
        ("biolatency", ["-T", "18446744000", "5"], "biolatency: error: argument interval: must be at most 2147483647 seconds"),
        ("biolatency", ["1", "99999999999"], "biolatency: error: argument count: must be at most 2147483647 outputs"),
        ("profile", ["20000000000"], "profile: error: argument duration: must be at most 2147483647 seconds"),
        ("profile", ["-F", "100000000"], "profile: error: argument -F/--frequency: 100000000 Hertz is above this kernel's limit, kernel.perf_event_max_sample_rate = "),
        ("profile", ["-C", "-2"], "profile: error: argument -C/--cpu: must be a CPU number, or -1 for all"),
        ("execsnoop", ["-n", "(?i)x"], "execsnoop: error: argument -n/--name: '(?...)' groups are not supported"),
        ("execsnoop", ["-l", "(a)\\1"], "execsnoop: error: argument -l/--line: back-references are not supported"),
        ("execsnoop", ["-u", "\u{1F600}nosuchuser"], "execsnoop: error: argument -u/--uid: '\u{1F600}nosuchuser' is not valid UID or user entry"),
        ("execsnoop", ["-u", String(repeating: "u", count: 100_000)], "execsnoop: error: argument -u/--uid: 'uuu"),
    ]

    @Test(arguments: cases.indices)
    func badInputIsAUsageError(index: Int) throws {
        let c = Self.cases[index]
        let run = try ToolRun(c.tool, c.args)
        #expect(run.waitForExit() == 2, "\(c.tool) \(c.args)")
        let lines = run.stderr.split(separator: "\n").map(String.init)
        #expect(lines.count == 2, "\(run.stderr)")
        #expect(lines.first?.hasPrefix("usage: \(c.tool)") == true)
        #expect(lines.last?.hasPrefix(c.message) == true, "\(lines.last ?? "")")
        #expect(run.lines.isEmpty)
    }

    /// argparse's layout: usage on one line from -h, the options, then BCC's examples; one
    /// line per option whatever its length.
    @Test(arguments: Products.toolNames)
    func helpGoesToStdoutWithStatusZero(tool: String) throws {
        let run = try ToolRun(tool, ["-T", "-h"])
        #expect(run.waitForExit() == 0)
        #expect(run.lines.first?.hasPrefix("usage: \(tool) [-h] ") == true, "\(run.lines)")
        let options = run.lines.firstIndex(of: "options:"), examples = run.lines.firstIndex(of: "examples:")
        #expect(options != nil && examples != nil && options! < examples!, "\(run.lines)")
        #expect(run.lines.contains("  -h, --help            show this help message and exit")
                || run.lines.contains { $0.hasPrefix("  -h, --help") && $0.hasSuffix(" show this help message and exit") })
        #expect(run.lines.contains { $0.hasPrefix("  --version ") && $0.hasSuffix("and exit.") }, "\(run.lines)")
        #expect(run.stderr.isEmpty)
    }

    @Test(arguments: Products.toolNames)
    func versionNamesTheToolAndItsVersion(tool: String) throws {
        let run = try ToolRun(tool, ["--version"])
        #expect(run.waitForExit() == 0)
        #expect(run.lines.count == 1 && run.lines.first?.wholeMatch(of: /\w+ \d+\.\d+\.\d+( \(git [0-9a-f]{12}\))?/) != nil,
                "\(run.lines)")
        #expect(run.lines.first?.hasPrefix(tool + " ") == true)
    }

    @Test(.enabled(if: geteuid() == 0, "needs root to drop privileges"), arguments: ["execsnoop", "opensnoop"])
    func notRootIsOneClearLine(tool: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid", "65534", "--regid", "65534", "--clear-groups", "--inh-caps=-all", Products.binary(tool)]
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text == "\(tool): must be run as root (or with CAP_BPF and CAP_PERFMON)\n")
    }

    @Test(.enabled(if: BPFTests.enabled, "needs root"))
    func missingCgroupIsARuntimeError() throws {
        let run = try ToolRun("execsnoop", ["--cgroup", "/nonexistent/cgroup"])
        #expect(run.waitForExit() == 1)
        #expect(run.stderr == "execsnoop: cannot use cgroup /nonexistent/cgroup: No such file or directory\n")
    }
}
