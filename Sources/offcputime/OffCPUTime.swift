import ArgumentParser
import BPFEvents
import LoaderCore

/// offcputime: BCC's options and report; the time is added up in the kernel, the stacks
/// printed by the core's StackPrinter (profile's).
public struct OffCPUTime: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "offcputime",
        abstract: "Summarize off-CPU time by stack trace",
        discussion: """
        examples:
            ./offcputime             # trace off-CPU stack time until Ctrl-C
            ./offcputime 5           # trace for 5 seconds only
            ./offcputime -f 5        # 5 seconds, and output in folded format
            ./offcputime -s 5        # 5 seconds, and show symbol offsets
            ./offcputime -m 1000     # trace only events that last more than 1000 usec
            ./offcputime -M 10000    # trace only events that last less than 10000 usec
            ./offcputime -p 185,175,165 # only trace threads for PID 185,175,165
            ./offcputime -t 188,120,134 # only trace threads 188,120,134
            ./offcputime -u          # only trace user threads (no kernel)
            ./offcputime -k          # only trace kernel threads (no user)
            ./offcputime -U          # only show user space stacks (no kernel)
            ./offcputime -K          # only show kernel space stacks (no user)
            ./offcputime --flamegraph off.svg 10  # an SVG flame graph of 10 seconds
        """)

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")],
            help: ArgumentHelp("trace these PIDs only, comma separated list", valueName: "PID"))
    var pids: IDList?

    @Option(name: [.customShort("t", allowingJoined: true), .customLong("tid")],
            help: ArgumentHelp("trace these TIDs only, comma separated list", valueName: "TID"))
    var tids: IDList?

    @Flag(name: [.customShort("u"), .customLong("user-threads-only")], help: "user threads only (no kernel threads)")
    var userThreadsOnly = false

    @Flag(name: [.customShort("k"), .customLong("kernel-threads-only")], help: "kernel threads only (no user threads)")
    var kernelThreadsOnly = false

    @Flag(name: [.customShort("U"), .customLong("user-stacks-only")], help: "show stacks from user space only (no kernel space stacks)")
    var userStacksOnly = false

    @Flag(name: [.customShort("K"), .customLong("kernel-stacks-only")], help: "show stacks from kernel space only (no user space stacks)")
    var kernelStacksOnly = false

    @Flag(name: [.customShort("d"), .customLong("delimited")], help: "insert delimiter between kernel/user stacks")
    var delimited = false

    @Flag(name: [.customShort("f"), .customLong("folded")], help: "output folded format")
    var folded = false

    @Flag(name: [.customShort("s"), .customLong("offset")], help: "show address offsets")
    var offset = false

    @Option(name: .customLong("stack-storage-size"),
            help: ArgumentHelp("the number of unique stack traces that can be stored and displayed (default 16384)", valueName: "STACK_STORAGE_SIZE"))
    var stackStorageSize = 16384

    @Argument(help: "duration of trace, in seconds")
    var duration: Int?

    @Option(name: [.customShort("m", allowingJoined: true), .customLong("min-block-time")],
            help: ArgumentHelp("the amount of time in microseconds over which we store traces (default 1)", valueName: "MIN_BLOCK_TIME"))
    var minBlockTime: UInt64 = 1

    @Option(name: [.customShort("M", allowingJoined: true), .customLong("max-block-time")],
            help: ArgumentHelp("the amount of time in microseconds under which we store traces (default U64_MAX)", valueName: "MAX_BLOCK_TIME"))
    var maxBlockTime: UInt64 = .max

    @Option(name: .customLong("state"),
            help: ArgumentHelp("filter on this thread state bitmask (eg, 2 == TASK_UNINTERRUPTIBLE) see include/linux/sched.h", valueName: "STATE"))
    var state: UInt64?

    @OptionGroup var flameGraph: FlameGraphOptions

    @OptionGroup var prometheus: ExportOptions

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "offcputime", base64: embeddedBPFObjectBase64)
    public static let output = ToolOutput.summary(
        banner: (try? OffCPUTime.parse([]))?.banner ?? "",
        jsonKeys: ["timestamp", "pid", "tid", "comm", "total_us", "kernel_stack", "user_stack", "address", "symbol", "offset", "module"]
            + ContainerIdentity.jsonKeys.map(\.key))

    public func validate() throws {
        // BCC's two mutually exclusive groups, in argparse's words
        let threadOptions = [(pids != nil, "-p/--pid"), (tids != nil, "-t/--tid"),
                             (userThreadsOnly, "-u/--user-threads-only"), (kernelThreadsOnly, "-k/--kernel-threads-only")].filter(\.0)
        if threadOptions.count > 1 { throw ValidationError("argument \(threadOptions[1].1): not allowed with argument \(threadOptions[0].1)") }
        if userStacksOnly && kernelStacksOnly {
            throw ValidationError("argument -K/--kernel-stacks-only: not allowed with argument -U/--user-stacks-only")
        }
        try ArgumentLimits.checkPositive(duration, "duration", unit: "seconds", max: ArgumentLimits.maxSeconds)
        if minBlockTime == 0 { throw ValidationError("argument -m/--min-block-time: must be nonzero") }
        if maxBlockTime == 0 { throw ValidationError("argument -M/--max-block-time: must be nonzero") }
        if stackStorageSize <= 0 || stackStorageSize > 1 << 24 {
            throw ValidationError("argument --stack-storage-size: must be positive (at most 16777216)")
        }
        if exporting {
            for (set, name) in [(duration != nil, "duration"), (folded, "-f/--folded"), (flameGraph.path != nil, "--flamegraph"),
                                (common.json, "--json")] where set {
                throw ValidationError("argument \(name): not allowed with argument \(prometheus.optionName) (which serves time by name until stopped)")
            }
        }
    }

    /// --prometheus: off-CPU time by name, served until stopped.
    var exporting: Bool { prometheus.active }

    /// BCC's banner, e.g. "Tracing off-CPU time (us) of all threads by user + kernel stack... Hit Ctrl-C to end."
    var banner: String {
        let threads = pids.map { "PIDs \($0.commaSeparated)" } ?? tids.map { "TIDs \($0.commaSeparated)" }
            ?? (userThreadsOnly ? "user threads" : kernelThreadsOnly ? "kernel threads" : "all threads")
        let stacks = userStacksOnly ? "user" : kernelStacksOnly ? "kernel" : "user + kernel"
        return "Tracing off-CPU time (us) of \(threads) by \(stacks) stack" + (duration.map { " for \($0) secs." } ?? "... Hit Ctrl-C to end.")
    }

    public func bpfConfig() throws -> offcputime_cfg {
        var cfg = offcputime_cfg()
        cfg.common = try common.bpfConfig()
        cfg.threads = UInt32(pids != nil ? OFFCPUTIME_TGIDS : tids != nil ? OFFCPUTIME_TIDS
                             : userThreadsOnly ? OFFCPUTIME_USER_THREADS : kernelThreadsOnly ? OFFCPUTIME_KERNEL_THREADS : OFFCPUTIME_ALL_THREADS)
        // --prometheus adds time up by thread and name only: no stacks
        cfg.user_stacks = kernelStacksOnly || exporting ? 0 : 1
        cfg.kernel_stacks = userStacksOnly || exporting ? 0 : 1
        cfg.filter_state = state == nil ? 0 : 1
        cfg.state = state ?? 0
        cfg.min_block_us = minBlockTime
        cfg.max_block_us = maxBlockTime
        cfg.by_cgroup = containers ? 1 : 0
        return cfg
    }

    /// sched_switch: the raw tracepoint (no record formatted on every context switch), else
    /// the classic one.
    public var plan: AttachPlan {
        [.oneOf("context switches", [
            ProbeCandidate(.rawTracepoint("sched_switch"), program: "raw_switch"),
            ProbeCandidate(.tracepoint(category: "sched", name: "sched_switch"), program: "tp_switch"),
         ]),
         KernelSymbolNamer.chain]
    }

    public func run() throws {
        try ContainerOptions.requireHierarchy(if: containers)
        // BCC's checks after parsing, in its words (status 2, as every conflict of options)
        if folded && offset { throw ToolFailure("ERROR: can only use -f or -s. Exiting.", status: 2) }
        if kernelThreadsOnly && userStacksOnly {
            throw ToolFailure("ERROR: Displaying user stacks for kernel threads doesn't make sense.", status: 2)
        }
        if let path = flameGraph.path { try checkWritable(path) }
        let targets = (pids ?? tids)?.ids ?? []
        var sizes: [(map: String, entries: UInt32)] = [("stack_traces", UInt32(stackStorageSize))]
        if !targets.isEmpty { sizes.append(("targets", UInt32(targets.count))) }
        let bpf = try ToolSession.start(tool: Self.toolName, object: Self.object, plan: plan, config: try bpfConfig(), common: common,
                                        maxEntries: sizes, beforeAttach: { loaded throws(BPFError) in
            let map = try loaded.map("targets")
            for id in targets { try map.update(id, UInt8(1)) }
        })
        if exporting {
            let metrics = OffCPUMetrics(counts: try bpf.map("counts"), containers: containers)
            return try prometheus.serve(tool: Self.toolName, loaded: bpf) { metrics.families() }
        }
        if !folded && !common.json { OutputSink.stdout.writeLine(banner) } else { Diagnostics.line(banner) }
        let report = OffCPUReport(options: self, counts: try bpf.map("counts"), stacks: try bpf.map("stack_traces"), lost: bpf.lostCounter(),
                                  kernelNamer: KernelSymbolNamer(bpf))
        try IntervalLoop.run(interval: Double(duration ?? 99_999_999), count: 1, loaded: bpf) {
            try report.print()
        }
    }
}
