import ArgumentParser
import BPFEvents
import LoaderCore

/// biolatency's options (BCC's names and meanings) and its run.
public struct BioLatency: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "biolatency",
        abstract: "Summarize block device I/O latency as a histogram",
        discussion: """
        examples:
            ./biolatency                    # summarize block I/O latency as a histogram
            ./biolatency 1 10               # print 1 second summaries, 10 times
            ./biolatency -mT 1              # 1s summaries, milliseconds, and timestamps
            ./biolatency -Q                 # include OS queued time in I/O time
            ./biolatency -D                 # show each disk device separately
            ./biolatency -F                 # show I/O flags separately
            ./biolatency -j                 # print a dictionary
            ./biolatency -e                 # show extension summary(average)
            ./biolatency -d sdc             # Trace sdc only
            ./biolatency --cgroup /sys/fs/cgroup/db  # I/O started in this cgroup
            ./biolatency --prometheus :9435  # serve histograms per disk and operation
        """)

    @Flag(name: [.customShort("T"), .customLong("timestamp")], help: "include timestamp on output")
    var timestamp = false

    @Flag(name: [.customShort("Q"), .customLong("queued")], help: "include OS queued time in I/O time")
    var queued = false

    @Flag(name: [.customShort("m"), .customLong("milliseconds")], help: "millisecond histogram")
    var milliseconds = false

    @Flag(name: [.customShort("D"), .customLong("disks")], help: "print a histogram per disk device")
    var disks = false

    @Flag(name: [.customShort("F"), .customLong("flags")], help: "print a histogram per set of I/O flags")
    var flags = false

    @Flag(name: [.customShort("e"), .customLong("extension")], help: "summarize average/total value")
    var extension_ = false

    /// BCC's -j; --json (every tool's) means the same.
    @Flag(name: .customShort("j"), help: "json output (same as --json)")
    var jsonShort = false

    @Option(name: [.customShort("d", allowingJoined: true), .customLong("disk")],
            help: ArgumentHelp("Trace this disk only", valueName: "DISK"))
    var disk: String?

    @OptionGroup var every: IntervalCount

    @OptionGroup var prometheus: ExportOptions

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "biolatency", base64: embeddedBPFObjectBase64)
    public static let planOptions = ["-Q", "-F"]
    public var plan: AttachPlan { Self.plan(queued: queued, flags: flags || exporting) }

    /// --prometheus: histograms per disk and operation, in microseconds, served until stopped.
    var exporting: Bool { prometheus.active }

    public func validate() throws {
        if containers {
            for (set, name) in [(disks, "-D/--disks"), (flags, "-F/--flags")] where set {
                throw ValidationError("argument \(name): not allowed with argument --containers (a histogram per container)")
            }
        }
        guard exporting else { return }
        if every.interval != nil || every.count != nil {
            throw ValidationError("argument \(prometheus.optionName): runs until stopped, without interval or count")
        }
        for (set, name) in [(timestamp, "-T/--timestamp"), (milliseconds, "-m/--milliseconds"), (disks, "-D/--disks"),
                            (flags, "-F/--flags"), (extension_, "-e/--extension"), (json, "-j/--json")] where set {
            throw ValidationError("argument \(name): not allowed with argument \(prometheus.optionName) (which exports per disk and operation, in seconds)")
        }
    }
    static let banner = "Tracing block device I/O... Hit Ctrl-C to end."
    public static let output = ToolOutput.summary(
        banner: banner,
        jsonKeys: ["timestamp", "ts", "val_type", "data", "interval_start", "interval_end", "count", "disk", "flags"]
            + ContainerIdentity.jsonKeys.map(\.key))

    var json: Bool { jsonShort || common.json }

    /// The histogram's unit, as BCC names it.
    var unit: String { milliseconds ? "msecs" : "usecs" }

    public func run() throws {
        // BCC's words; status 2 like every other conflict of options (BCC's exit() gives 0)
        if disks && flags { throw ToolFailure("ERROR: can only use -D or -F. Exiting.", status: 2) }
        try ContainerOptions.requireHierarchy(if: containers)
        let bpf = try ToolSession.start(tool: "biolatency",
                                        object: Self.object,
                                        plan: plan, config: try bpfConfig(), common: common)
        try Self.checkConsistent(bpf.resolutions)
        if exporting {
            let metrics = LatencyMetrics(hists: try bpf.map("hists"), containers: containers)
            try prometheus.serve(tool: "biolatency", loaded: bpf) { metrics.families() }
            return
        }
        let report = try LatencyReport(loaded: bpf, options: self, device: disk.flatMap { BlockDevices.find($0) })
        // With -j stdout holds only JSON; the banner still tells a person the tool is ready.
        let banner = Self.banner
        if json { Diagnostics.line(banner) } else { OutputSink.stdout.writeLine(banner) }
        try IntervalLoop.run(interval: every.seconds, count: every.reports, loaded: bpf) {
            try report.print()
        }
    }

    public func bpfConfig() throws -> biolatency_cfg {
        var cfg = biolatency_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_ms = milliseconds ? 1 : 0
        cfg.per_disk = disks || exporting ? 1 : 0
        cfg.per_flag = flags || exporting ? 1 : 0
        cfg.queued = queued ? 1 : 0
        cfg.by_cgroup = containers ? 1 : 0
        cfg.sector_end = UInt64.max
        if let disk {
            guard let device = BlockDevices.find(disk) else { throw BPFError(.invalidArgument, "no such disk '\(disk)'") }
            cfg.filter_dev = 1
            (cfg.targ_dev, cfg.sector_start, cfg.sector_end) = device.requestFilter
        }
        return cfg
    }

    /// Requests are known by their pointer to raw and BTF tracepoints, by disk and sector to
    /// classic ones: a start and a completion seen through the two kinds would never meet.
    static func checkConsistent(_ resolutions: [Resolution]) throws(BPFError) {
        let classic = Set(resolutions.compactMap(\.chosen).map { if case .tracepoint = $0.kind { true } else { false } })
        if classic.count > 1 {
            throw BPFError(.noAttachPoint, "the request's start and completion are only available through different kinds of "
                           + "tracepoint here, which cannot be matched: "
                           + resolutions.map(\.summary).joined(separator: "; "))
        }
    }

    /// Where a request's latency starts and ends. -F needs the request itself (its flags),
    /// which the classic tracepoints do not pass.
    ///
    /// Raw tracepoints come before BTF ones: both pass the struct request, which the programs
    /// read with CO-RE either way, but a BTF tracepoint makes libbpf parse the kernel's whole
    /// BTF at every start (measured: 31 ms to the banner instead of 12).
    static func plan(queued: Bool, flags: Bool) -> AttachPlan {
        /// Each start program needs compare-and-swap (Linux 5.12+) and has a twin without it
        /// (`_nocas`), taken where the kernel lacks it.
        func chain(_ tracepoint: String, _ suffix: String, classic: Bool = true, starts: Bool = true) -> [ProbeCandidate] {
            let kinds: [(ProbeKind, String)] = [(.rawTracepoint(tracepoint), "raw_"), (.btfTracepoint(tracepoint), "btf_")]
                + (classic ? [(.tracepoint(category: "block", name: tracepoint), "tp_")] : [])
            return kinds.flatMap { kind, prefix in
                starts ? [ProbeCandidate(kind, program: prefix + suffix, requires: [.compareAndSwap]),
                          ProbeCandidate(kind, program: prefix + suffix + "_nocas")]
                       : [ProbeCandidate(kind, program: prefix + suffix)]
            }
        }
        let issue = chain("block_rq_issue", "rq_issue")
        let completion = ProbeChain.oneOf("request completion",
                                          chain("block_rq_complete", "rq_complete", classic: !flags, starts: false),
                                          unavailable: flags ? "can't use -F: it needs the request's flags, which only raw or BTF "
                                              + "tracepoints pass (the classic block tracepoints carry none)" : nil)
        guard queued else { return [.oneOf("request issue", issue), completion] }
        // block_io_start (Linux 6.5+) sees every request as it is queued; before it, insertion
        // into the I/O scheduler, plus the issue of requests that bypass the scheduler.
        let start = chain("block_io_start", "io_start") + chain("block_rq_insert", "rq_insert")
        return [.oneOf("request queued", start.sorted { rank($0) < rank($1) }),
                .oneOf("request issue", issue), completion]
    }

    /// raw_tp before tp_btf before classic, then the newer tracepoint before the older, then
    /// with compare-and-swap before without.
    private static func rank(_ candidate: ProbeCandidate) -> Int {
        let kind = switch candidate.kind {
        case .rawTracepoint: 0
        case .btfTracepoint: 1
        default: 2
        }
        return kind * 4 + (candidate.program.contains("io_start") ? 0 : 2) + (candidate.requires.contains(.compareAndSwap) ? 0 : 1)
    }
}
