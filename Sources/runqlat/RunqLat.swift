import ArgumentParser
import BPFEvents
import Glibc
import LoaderCore

/// runqlat: BCC's options and report.
public struct RunqLat: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "runqlat",
        abstract: "Summarize run queue (scheduler) latency as a histogram",
        discussion: """
        examples:
            ./runqlat            # summarize run queue latency as a histogram
            ./runqlat 1 10       # print 1 second summaries, 10 times
            ./runqlat -mT 1      # 1s summaries, milliseconds, and timestamps
            ./runqlat -P         # show each PID separately
            ./runqlat -p 185     # trace PID 185 only
        """)

    @Flag(name: [.customShort("T"), .customLong("timestamp")], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("m"), .customLong("milliseconds")], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("P"), .customLong("pids")], help: "print a histogram per process ID")
    var pids = false

    @Flag(name: .customLong("pidnss"), help: "print a histogram per PID namespace")
    var pidnss = false

    @Flag(name: [.customShort("L"), .customLong("tids")], help: "print a histogram per thread ID")
    var tids = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @OptionGroup var every: IntervalCount

    @OptionGroup var prometheus: ExportOptions

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "runqlat", base64: embeddedBPFObjectBase64)
    static let banner = "Tracing run queue latency... Hit Ctrl-C to end."
    public static let output = ToolOutput.summary(banner: banner, jsonKeys: ["timestamp", "ts", "val_type", "data", "interval_start", "interval_end", "count", "pid", "tid", "pidns"]
                                                         + ContainerIdentity.jsonKeys.map(\.key))

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
        if containers {
            for (set, name) in [(pids, "-P/--pids"), (tids, "-L/--tids"), (pidnss, "--pidnss")] where set {
                throw ValidationError("argument \(name): not allowed with argument --containers (a histogram per container)")
            }
        }
        guard exporting else { return }
        if every.interval != nil || every.count != nil {
            throw ValidationError("argument \(prometheus.optionName): runs until stopped, without interval or count")
        }
        // a series per process or thread would grow without bound; namespaces are few
        for (set, name) in [(timestamp, "-T/--timestamp"), (milliseconds, "-m/--milliseconds"), (pids, "-P/--pids"),
                            (tids, "-L/--tids"), (common.json, "--json")] where set {
            throw ValidationError("argument \(name): not allowed with argument \(prometheus.optionName) (which exports in seconds, per PID namespace with --pidnss)")
        }
    }

    /// --prometheus: the histogram (per PID namespace with --pidnss), in microseconds, served.
    var exporting: Bool { prometheus.active }

    /// What the histograms are per, and the section name BCC prints: -L wins over -P, both
    /// over --pidnss, as in BCC.
    var keyBy: (mode: Int32, section: String?) {
        containers ? (RUNQLAT_BY_CGROUP, "container") : tids ? (RUNQLAT_BY_TID, "tid") : pids ? (RUNQLAT_BY_PID, "pid")
            : pidnss ? (RUNQLAT_BY_PIDNS, "pidns") : (RUNQLAT_BY_NONE, nil)
    }

    var unit: String { milliseconds ? "msecs" : "usecs" }

    public var plan: AttachPlan {
        ["sched_wakeup", "sched_wakeup_new", "sched_switch"].map { tracepoint in
            let name = tracepoint.dropFirst("sched_".count)
            return .oneOf(tracepoint, [
                ProbeCandidate(.rawTracepoint(tracepoint), program: "raw_\(name)"),
                ProbeCandidate(.btfTracepoint(tracepoint), program: "btf_\(name)"),
            ])
        }
    }

    public func bpfConfig() throws -> runqlat_cfg {
        var cfg = runqlat_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"))
        cfg.targ_ms = milliseconds ? 1 : 0
        cfg.key_by = UInt32(keyBy.mode)
        return cfg
    }

    public func run() throws {
        try ContainerOptions.requireHierarchy(if: containers)
        let bpf = try ToolSession.start(tool: Self.toolName, object: Self.object, plan: plan, config: try bpfConfig(), common: common,
                                        maxEntries: [("hists", Self.tableSize(keyBy.mode))])
        if exporting {
            let metrics = RunqlatMetrics(hists: try bpf.map("hists"), label: pidnss ? "pidns" : containers ? "container" : nil)
            try prometheus.serve(tool: Self.toolName, loaded: bpf) { metrics.families() }
            return
        }
        let report = RunqlatReport(hists: try bpf.map("hists"), lost: bpf.lostCounter(), options: self)
        common.announce(Self.banner)
        try IntervalLoop.run(interval: every.seconds, count: every.reports, loaded: bpf) {
            try report.print()
        }
    }

    /// Histograms the table can hold: one per possible PID (kernel.pid_max) or PID namespace
    /// (user.max_pid_namespaces), allocated only as used; one without sections.
    static func tableSize(_ mode: Int32) -> UInt32 {
        func sysctl(_ path: String, default value: UInt32) -> UInt32 {
            guard let text = try? readFile(path), let n = UInt32(text.split(separator: "\n").first ?? "") else { return value }
            return n
        }
        switch mode {
        case RUNQLAT_BY_PID, RUNQLAT_BY_TID: return min(sysctl("/proc/sys/kernel/pid_max", default: 32768), 4_194_304)
        case RUNQLAT_BY_PIDNS: return min(max(sysctl("/proc/sys/user/max_pid_namespaces", default: 1024), 1), 65536)
        case RUNQLAT_BY_CGROUP: return 16384
        default: return 1
        }
    }
}
