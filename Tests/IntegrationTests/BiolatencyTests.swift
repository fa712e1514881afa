import Foundation
import Testing

/// A loop device over a temporary file, detached (and the file removed) by `remove()`.
/// With `partitions`, it gets two partitions of `partitionMiB` each (loopNp1, loopNp2).
final class LoopDevice {
    let name: String
    private let dir: TempDir

    init(sizeMiB: Int = 64, partitions: Bool = false, partitionMiB: Int = 16) throws {
        let dir = try TempDir("biolatency-loop")
        let image = dir.path + "/disk.img"
        guard try runCommand("/usr/bin/truncate", ["-s", "\(sizeMiB)M", image]).status == 0 else {
            dir.remove()
            throw LoopDeviceError.setupFailed("truncate \(image)")
        }
        let out = try Self.output("/sbin/losetup", ["-f", "--show"] + (partitions ? ["-P"] : []) + [image])
        guard out.hasPrefix("/dev/loop") else {
            dir.remove()
            throw LoopDeviceError.setupFailed(out)
        }
        self.dir = dir
        name = String(out.dropFirst("/dev/".count))
        // Partitions added by hand (BLKPG): this kernel parses no partition tables.
        if partitions {
            let sectors = partitionMiB * 2048
            for (number, start) in [(1, 2048), (2, 2048 + sectors)] {
                _ = try runCommand("/usr/bin/addpart", [path, "\(number)", "\(start)", "\(sectors)"])
            }
        }
        // udev (where it runs) reads a new device to probe it: let that I/O finish first.
        if FileManager.default.isExecutableFile(atPath: "/bin/udevadm") { _ = try? runCommand("/bin/udevadm", ["settle"]) }
    }

    var path: String { "/dev/" + name }

    /// `count` synchronous O_DIRECT I/Os of 4 KiB with dd, one in flight at a time: the block
    /// layer neither merges nor splits them, so each is exactly one request.
    func directIO(reads: Int = 0, writes: Int = 0, device: String? = nil) throws {
        let target = device.map { "/dev/" + $0 } ?? path
        if reads > 0 {
            #expect(try runCommand("/bin/dd", ["if=\(target)", "of=/dev/null", "bs=4k", "count=\(reads)", "iflag=direct", "status=none"]).status == 0)
        }
        if writes > 0 {
            #expect(try runCommand("/bin/dd", ["if=/dev/zero", "of=\(target)", "bs=4k", "count=\(writes)", "oflag=direct", "status=none"]).status == 0)
        }
    }

    /// `processes` processes reading the device's first 4 KiB `each` times with O_DIRECT, all
    /// at once: requests for the same sector in flight together.
    func sameSectorReads(processes: Int, each: Int) throws {
        let script = """
            import os, sys, mmap
            kids = []
            for _ in range(int(sys.argv[2])):
                pid = os.fork()
                if pid == 0:
                    fd = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECT)
                    buf = mmap.mmap(-1, 4096)
                    for _ in range(int(sys.argv[3])):
                        os.preadv(fd, [buf], 0)
                    os._exit(0)
                kids.append(pid)
            for pid in kids:
                os.waitpid(pid, 0)
            """
        #expect(try runCommand("/usr/bin/python3", ["-c", script, path, "\(processes)", "\(each)"]).status == 0)
    }

    /// The I/Os the kernel completed on the device so far: reads and writes completed, from
    /// /sys/block/NAME/stat.
    func completedIOs() throws -> Int {
        let fields = try String(contentsOfFile: "/sys/block/\(name)/stat", encoding: .utf8).split(separator: " ")
        return (Int(fields[0]) ?? 0) + (Int(fields[4]) ?? 0)
    }

    func remove() {
        _ = try? runCommand("/sbin/losetup", ["-d", path])
        dir.remove()
    }

    private static func output(_ path: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

enum LoopDeviceError: Error { case setupFailed(String) }

/// biolatency run as root against O_DIRECT I/O the tests make on loop devices.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class BiolatencyTests {
    static let banner = "Tracing block device I/O... Hit Ctrl-C to end."
    static let usecsHeader = "     usecs               : count     distribution"
    let loop: LoopDevice

    init() throws { loop = try LoopDevice() }
    deinit { loop.remove() }

    /// Starts biolatency, waits for its banner, runs `workload`, then Ctrl-C: the report.
    func report(_ arguments: [String], environment: [String: String]? = nil, workload: () throws -> Void) throws -> ToolRun {
        let run = try ToolRun("biolatency", arguments, environment: environment)
        if arguments.contains("-j") || arguments.contains("--json") {
            try run.waitForStderr(Self.banner)
        } else {
            try run.waitUntilReady(header: Self.banner)
        }
        try workload()
        #expect(run.stop() == 0, "stderr: \(run.stderr)")
        return run
    }

    /// The counts of a histogram's rows ("  8 -> 15  : 139  |***|").
    static func total(_ lines: some Sequence<String>) -> Int {
        lines.filter { $0.contains(" -> ") }.reduce(0) { sum, line in
            let afterColon = line.split(separator: ":", maxSplits: 1).last ?? ""
            return sum + (Int(afterColon.split(separator: "|").first?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0)
        }
    }

    /// The lines of each section ("disk = x" / "flags = y") up to the next one.
    static func sections(_ lines: [String], _ key: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        var current: String?
        for line in lines {
            if line.hasPrefix(key + " = ") {
                current = String(line.dropFirst(key.count + 3))
                result[current!] = []
            } else if let current {
                result[current, default: []].append(line)
            }
        }
        return result
    }

    @Test func countsEveryIOOfTheDisk() throws {
        let run = try report(["-d", loop.name]) { try loop.directIO(reads: 100, writes: 50) }
        #expect(run.lines.first == Self.banner)
        #expect(run.lines.dropFirst().first == "")
        #expect(run.lines.dropFirst(2).first == Self.usecsHeader)
        #expect(Self.total(run.lines) == 150)
        #expect(!run.stderr.contains("missing from the histograms"), "\(run.stderr)")
        // every row from "0 -> 1" up, in BCC's layout
        let rows = run.lines.filter { $0.contains(" -> ") }
        #expect(rows.first?.hasPrefix("         0 -> 1          : ") == true)
        let stars = rows.map { $0.split(separator: "|", omittingEmptySubsequences: false) }
        #expect(stars.allSatisfy { $0.count == 3 && $0[1].count == 40 })
        #expect(stars.contains { $0[1] == Substring(String(repeating: "*", count: 40)) })
    }

    @Test func intervalAndCountPrintExactlyCountReports() throws {
        let run = try ToolRun("biolatency", ["-T", "-d", loop.name, "1", "3"])
        try run.waitUntilReady(header: Self.banner)
        try loop.directIO(reads: 20)
        #expect(run.waitForExit(timeout: 10) == 0)
        let times = run.lines.filter { $0.range(of: #"^\d\d:\d\d:\d\d$"#, options: .regularExpression) != nil }
        #expect(times.count == 3)
        #expect(run.lines.filter(\.isEmpty).count == 3)
        #expect(Self.total(run.lines) == 20)
    }

    @Test func perDiskSections() throws {
        let run = try report(["-D"]) { try loop.directIO(reads: 30, writes: 10) }
        let sections = Self.sections(run.lines, "disk")
        let mine = try #require(sections[loop.name], "no section for \(loop.name) in \(run.lines)")
        #expect(Self.total(mine) == 40)
        #expect(mine.first == Self.usecsHeader)
        // sections are preceded by a blank line each
        let index = try #require(run.lines.firstIndex(of: "disk = \(loop.name)"))
        #expect(run.lines[index - 1] == "")
    }

    @Test func perFlagSectionsSeparateReadsFromWrites() throws {
        let run = try report(["-F", "-d", loop.name]) { try loop.directIO(reads: 30, writes: 20) }
        let sections = Self.sections(run.lines, "flags")
        let reads = sections.filter { $0.key.hasSuffix("Read") }.values.reduce(0) { $0 + Self.total($1) }
        let writes = sections.filter { $0.key.hasSuffix("Write") }.values.reduce(0) { $0 + Self.total($1) }
        #expect(reads == 30, "\(sections.keys)")
        #expect(writes == 20, "\(sections.keys)")
        // O_DIRECT writes are synchronous: BCC's prefixes, put in front in its order
        #expect(sections.keys.contains { $0.hasSuffix("Sync-Write") }, "\(sections.keys)")
    }

    @Test func millisecondsChangeTheUnit() throws {
        let run = try report(["-m", "-d", loop.name]) { try loop.directIO(reads: 10) }
        #expect(run.lines.contains("     msecs               : count     distribution"))
        #expect(Self.total(run.lines) == 10)
    }

    @Test func extensionLineAfterTheHistogram() throws {
        let run = try report(["-e", "-d", loop.name]) { try loop.directIO(reads: 25) }
        let line = try #require(run.lines.first { $0.hasPrefix("avg = ") })
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(numbers.count == 3 && numbers[2] == 25, "\(line)")
        #expect(numbers[0] == numbers[1] / 25)
        #expect(line == "avg = \(numbers[0]) usecs, total: \(numbers[1]) usecs, count: 25")
        let index = try #require(run.lines.firstIndex(of: line))
        #expect(run.lines[index - 1] == "" && run.lines.dropFirst(index + 1).first == "")
    }

    /// -Q starts the clock when the request is queued, before it is issued: each I/O's latency
    /// can only grow. Both tools watch the same I/Os at once.
    @Test func queuedLatenciesAreNotLower() throws {
        let plain = try ToolRun("biolatency", ["-e", "-d", loop.name])
        let queued = try ToolRun("biolatency", ["-Q", "-e", "-d", loop.name])
        try plain.waitUntilReady(header: Self.banner)
        try queued.waitUntilReady(header: Self.banner)
        try loop.directIO(reads: 40, writes: 40)
        #expect(plain.stop() == 0)
        #expect(queued.stop() == 0)
        func totals(_ run: ToolRun) -> [Int] {
            (run.lines.first { $0.hasPrefix("avg = ") } ?? "").split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        }
        let (p, q) = (totals(plain), totals(queued))
        #expect(p.count == 3 && q.count == 3)
        #expect(p.last == 80 && q.last == 80)
        #expect(q[1] >= p[1], "queued total \(q[1]) < issued total \(p[1])")
    }

    @Test func jsonIsOneObjectPerHistogram() throws {
        let run = try report(["-j", "-d", loop.name]) { try loop.directIO(reads: 12, writes: 3) }
        #expect(!run.lines.contains(Self.banner))  // on stderr: stdout is only JSON
        #expect(run.lines.count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data((run.lines.first ?? "").utf8)) as? [String: Any])
        #expect(object["val_type"] as? String == "usecs")
        #expect((object["ts"] as? String)?.range(of: #"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$"#, options: .regularExpression) != nil)
        let data = try #require(object["data"] as? [[String: Int]])
        #expect(data.reduce(0) { $0 + ($1["count"] ?? 0) } == 15)
        #expect(data.first?["interval_start"] == 0 && data.first?["interval_end"] == 1)
        #expect(data.dropFirst().first?["interval_start"] == 2 && data.dropFirst().first?["interval_end"] == 3)
    }

    @Test func jsonPerDiskNamesTheDisk() throws {
        let run = try report(["--json", "-D", "-d", loop.name]) { try loop.directIO(reads: 5) }
        let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == run.lines.count)
        #expect(objects.map { $0["disk"] as? String } == [loop.name])
    }

    /// Each fallback really counts: raw tracepoints are preferred, BTF and classic tracepoints
    /// are forced here by passing over the better ones; "nocas" forces the start programs that
    /// kernels before 5.12 use (no compare-and-swap: a hash map of requests in flight).
    @Test(arguments: ["tp_btf", "tracepoint", "nocas"])
    func fallbackProbesCountTheSame(kind: String) throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = switch kind {
        case "tp_btf": "raw_tp"
        case "tracepoint": "raw_tp,tp_btf"
        default: "raw_rq_issue,raw_io_start,raw_rq_insert"
        }
        for queued in [false, true] {
            let run = try report(["-v", "-d", loop.name] + (queued ? ["-Q"] : []), environment: environment) {
                try loop.directIO(reads: 20, writes: 10)
            }
            #expect(Self.total(run.lines) == 30, "\(kind) -Q \(queued): \(run.lines)")
            let probe = switch kind {
            case "tp_btf": "request completion: using tp_btf block_rq_complete"
            case "tracepoint": "request completion: using tracepoint block:block_rq_complete"
            default: "request issue: using raw_tp block_rq_issue (raw_rq_issue_nocas)"
            }
            #expect(run.stderr.contains(probe), "\(run.stderr)")
        }
    }

    /// Classic tracepoints know a request by disk and sector only: two reads of one sector in
    /// flight together meet one slot and one of them goes uncounted. The kernel's own count of
    /// completed I/Os shows how many the histograms miss, and biolatency says so.
    @Test func iosTheKernelCompletedButTheHistogramsMissAreReported() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = "raw_tp,tp_btf"
        var before = 0, after = 0
        let run = try report(["-d", loop.name], environment: environment) {
            before = try loop.completedIOs()
            try loop.sameSectorReads(processes: 4, each: 2000)
            after = try loop.completedIOs()
        }
        let counted = Self.total(run.lines), kernel = after - before
        #expect(kernel == 8000)
        #expect(counted < kernel, "no two reads of the sector were in flight together")
        #expect(run.stderr.contains("biolatency: \(kernel - counted) I/Os the kernel completed (/proc/diskstats) are missing from the histograms"),
                "counted \(counted) of \(kernel): \(run.stderr)")
    }

    @Test func startAndCompletionMustBeTheSameKindOfTracepoint() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = "raw_rq_complete,btf_rq_complete"
        let run = try ToolRun("biolatency", ["1", "1"], environment: environment)
        #expect(run.waitForExit() == 1)
        #expect(run.stderr.hasPrefix("biolatency: the request's start and completion are only available through different kinds"),
                "\(run.stderr)")
    }

    @Test func rawTracepointsArePreferred() throws {
        let run = try report(["-v", "-Q", "-d", loop.name]) { try loop.directIO(reads: 3) }
        for probe in ["request queued: using raw_tp block_io_start", "request issue: using raw_tp block_rq_issue",
                      "request completion: using raw_tp block_rq_complete"] {
            #expect(run.stderr.contains(probe), "\(run.stderr)")
        }
        #expect(Self.total(run.lines) == 3)
    }

    @Test func flagsWithOnlyClassicTracepointsSaysWhy() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = "raw_tp,tp_btf"
        let run = try ToolRun("biolatency", ["-F"], environment: environment)
        #expect(run.waitForExit() == 1)
        #expect(run.stderr.hasPrefix("biolatency: can't use -F: it needs the request's flags"), "\(run.stderr)")
    }

    @Test func insertionStartsTheClockWithoutBlockIOStart() throws {
        // Older kernels have no block_io_start: -Q then starts at insertion into the I/O
        // scheduler, which only happens with one.
        let scheduler = "/sys/block/\(loop.name)/queue/scheduler"
        try "mq-deadline".write(toFile: scheduler, atomically: false, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["BPF_TOOLS_AVOID_PROBES"] = ["btf", "raw", "tp"].flatMap { ["\($0)_io_start", "\($0)_io_start_nocas"] }.joined(separator: ",")
        let run = try report(["-Q", "-v", "-d", loop.name], environment: environment) { try loop.directIO(reads: 20, writes: 5) }
        #expect(run.stderr.contains("request queued: using raw_tp block_rq_insert"), "\(run.stderr)")
        #expect(Self.total(run.lines) == 25)
    }

    @Test func partitionFilter() throws {
        let disk = try LoopDevice(sizeMiB: 40, partitions: true)
        defer { disk.remove() }
        let run = try report(["-d", disk.name + "p2", "-D"]) {
            try disk.directIO(reads: 7, device: disk.name + "p1")
            try disk.directIO(reads: 11, writes: 2, device: disk.name + "p2")
        }
        // requests are the whole disk's: the section is the disk, the filter the partition
        #expect(Self.total(run.lines) == 13, "\(run.lines)")
        #expect(Self.sections(run.lines, "disk").keys.sorted() == [disk.name])
    }

    @Test func cgroupFilter() throws {
        let mountPoint = try TempDir("cg2")
        defer { mountPoint.remove() }
        #expect(try runCommand("/bin/mount", ["-t", "cgroup2", "none", mountPoint.path]).status == 0)
        defer { _ = try? runCommand("/bin/umount", [mountPoint.path]) }
        let group = mountPoint.path + "/" + uniqueName("b")
        try FileManager.default.createDirectory(atPath: group, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: group) }
        let run = try report(["--cgroup", group, "-d", loop.name]) {
            try loop.directIO(reads: 9)
            try runCommand("/bin/sh", ["-c", "echo $$ > \(group)/cgroup.procs && exec dd if=\(loop.path) of=/dev/null bs=4k count=6 iflag=direct status=none"])
        }
        #expect(Self.total(run.lines) == 6)
    }

    @Test func badInput() throws {
        let conflict = try ToolRun("biolatency", ["-D", "-F"])
        #expect(conflict.waitForExit() == 2)
        #expect(conflict.stderr == "ERROR: can only use -D or -F. Exiting.\n")
        let missing = try ToolRun("biolatency", ["-d", "nosuchdisk0"])
        #expect(missing.waitForExit() == 1)
        #expect(missing.stderr == "biolatency: no such disk 'nosuchdisk0'\n")
        for arguments in [["0"], ["x"], ["1", "0"], ["1", "-2"], ["1.5"], ["--nope"]] {
            let run = try ToolRun("biolatency", arguments)
            #expect(run.waitForExit() == 2, "\(arguments)")
            #expect(run.stderr.hasPrefix("usage: biolatency"), "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("biolatency: error: "), "\(arguments)")
            #expect(run.lines.isEmpty)
        }
    }
}
