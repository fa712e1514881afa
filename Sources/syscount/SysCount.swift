import ArgumentParser
import BPFEvents
import LoaderCore

/// syscount: BCC's options and report; counting happens in the kernel.
public struct SysCount: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "syscount",
        abstract: "Summarize syscall counts and latencies.",
        discussion: """
        examples:
            ./syscount                 # count syscalls until Ctrl-C, top 10
            ./syscount -P              # count by process instead of by syscall
            ./syscount -L -i 5         # with total latency, every 5 seconds
            ./syscount -x -e ENOENT    # only failed calls that returned ENOENT
            ./syscount --syscall read  # only read()
            ./syscount --exec make     # run make and count its syscalls
        """)

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace only this pid", valueName: "PID"))
    var pid: Int?

    @Option(name: [.customShort("t", allowingJoined: true), .customLong("tid")], help: ArgumentHelp("trace only this tid", valueName: "TID"))
    var tid: Int?

    @Option(name: [.customShort("c", allowingJoined: true), .customLong("ppid")], help: ArgumentHelp("trace only child of this pid", valueName: "PPID"))
    var ppid: Int?

    @Option(name: [.customShort("i", allowingJoined: true), .customLong("interval")], help: ArgumentHelp("print summary at this interval (seconds)", valueName: "INTERVAL"))
    var interval: Int?

    @Option(name: [.customShort("d", allowingJoined: true), .customLong("duration")], help: ArgumentHelp("total duration of trace, in seconds", valueName: "DURATION"))
    var duration: Int?

    @Option(name: [.customShort("T", allowingJoined: true), .customLong("top")], help: ArgumentHelp("print only the top syscalls by count or latency", valueName: "TOP"))
    var top: Int = 10

    @Flag(name: [.customShort("x"), .customLong("failures")], help: "trace only failed syscalls (return < 0)")
    var failures = false

    @Option(name: [.customShort("e", allowingJoined: true), .customLong("errno")],
            help: ArgumentHelp("trace only syscalls that return this error (numeric or EPERM, etc.)", valueName: "ERRNO"))
    var errnoFilter: String?

    @Flag(name: [.customShort("L"), .customLong("latency")], help: "collect syscall latency")
    var latency = false

    @Flag(name: [.customShort("m"), .customLong("milliseconds")], help: "display latency in milliseconds (default: microseconds)")
    var milliseconds = false

    @Flag(name: [.customShort("P"), .customLong("process")], help: "count by process and not by syscall")
    var process = false

    @Flag(name: [.customShort("l"), .customLong("list")], help: "print list of recognized syscalls and exit")
    var list = false

    @Option(name: .customLong("syscall"), help: ArgumentHelp("trace this syscall only (use option -l to get all recognized syscalls)", valueName: "SYSCALL"))
    var syscall: String?

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    @OptionGroup var exec: ExecCommand

    @OptionGroup var prometheus: ExportOptions

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "syscount", base64: embeddedBPFObjectBase64)
    public static let output = ToolOutput.summary(
        banner: "Tracing syscalls, printing top 10... Ctrl+C to quit.",
        jsonKeys: ["timestamp", "time", "syscall", "pid", "comm", "count", "total_ms"] + ContainerIdentity.jsonKeys.map(\.key))

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
        _ = try ArgumentLimits.taskID(tid, "-t/--tid", what: "TID")
        _ = try ArgumentLimits.taskID(ppid, "-c/--ppid")
        try ArgumentLimits.checkPositive(interval, "-i/--interval", unit: "seconds", max: ArgumentLimits.maxSeconds)
        try ArgumentLimits.checkPositive(duration, "-d/--duration", unit: "seconds", max: ArgumentLimits.maxSeconds)
        if top < 0 { throw ValidationError("argument -T/--top: must be 0 or more") }
        _ = try errnoValue()
        _ = try syscallNumber()
        if containers && process { throw ValidationError("argument -P/--process: not allowed with argument --containers (which counts by container)") }
        if containers && prometheus.active {
            throw ValidationError("argument --containers: not allowed with argument \(prometheus.optionName) (which counts by system call)")
        }
        guard prometheus.active else { return }
        // a series per process would grow without bound; the report options mean nothing there
        for (set, name) in [(process, "-P/--process"), (interval != nil, "-i/--interval"), (duration != nil, "-d/--duration"),
                            (milliseconds, "-m/--milliseconds"), (!exec.command.isEmpty, "a command to run"), (common.json, "--json")] where set {
            throw ValidationError("argument \(name): not allowed with argument \(prometheus.optionName) (which serves counts per system call until stopped)")
        }
    }

    /// BCC's handle_errno: a number (its absolute value) or a name (EPERM).
    func errnoValue() throws -> UInt32 {
        guard let errnoFilter else { return 0 }
        if let number = Int(errnoFilter) { return UInt32(clamping: number.magnitude) }
        guard let value = ErrnoNames.value(errnoFilter), errnoFilter == errnoFilter.uppercased() else {
            throw ValidationError("argument -e/--errno: couldn't map \(errnoFilter) to an errno")
        }
        return UInt32(value)
    }

    func syscallNumber() throws -> Int32 {
        guard let syscall else { return SYSCOUNT_NO_SYSCALL }
        guard let number = SyscallNames.shared.number(syscall), number < Int(SYSCOUNT_MAX_SYSCALLS) else {
            throw ValidationError("argument --syscall: syscall '\(syscall)' not found (syscount -l lists them)")
        }
        return Int32(number)
    }

    public func bpfConfig() throws -> syscount_cfg {
        // BCC's precedence: -p, else --exec, else -t, else -c
        var cfg = syscount_cfg()
        let pidFilter = try ArgumentLimits.taskID(pid, "-p/--pid")
        let tidFilter = pidFilter == nil ? try ArgumentLimits.taskID(tid, "-t/--tid", what: "TID") : nil
        cfg.common = try common.bpfConfig(pid: pidFilter, tid: tidFilter)
        if pidFilter == nil && tidFilter == nil { cfg.targ_ppid = try ArgumentLimits.taskID(ppid, "-c/--ppid") ?? 0 }
        cfg.targ_syscall = try syscallNumber()
        cfg.failed_only = failures ? 1 : 0
        cfg.targ_errno = try errnoValue()
        cfg.latency = latency ? 1 : 0
        cfg.key_by = UInt32(containers ? SYSCOUNT_BY_CGROUP : process ? SYSCOUNT_BY_PROCESS : SYSCOUNT_BY_SYSCALL)
        cfg.exit_nr = Int32(SyscallNames.shared.number("exit") ?? -1)
        cfg.exit_group_nr = Int32(SyscallNames.shared.number("exit_group") ?? -1)
        return cfg
    }

    /// sys_exit always; sys_enter too with -L. Raw tracepoints first: the programs run on
    /// every system call, and a classic tracepoint first formats a record for perf.
    public var plan: AttachPlan {
        let exit = ProbeChain.oneOf("syscall returns", [
            ProbeCandidate(.rawTracepoint("sys_exit"), program: "raw_sys_exit"),
            ProbeCandidate(.tracepoint(category: "raw_syscalls", name: "sys_exit"), program: "tp_sys_exit"),
        ])
        guard latency else { return [exit] }
        return [.oneOf("syscall entries", [
            ProbeCandidate(.rawTracepoint("sys_enter"), program: "raw_sys_enter"),
            ProbeCandidate(.tracepoint(category: "raw_syscalls", name: "sys_enter"), program: "tp_sys_enter"),
        ]), exit]
    }
    public static let planOptions = ["-L"]

    var banner: String {
        let failed = failures ? "failed " : ""
        if let syscall { return "Tracing \(failed)syscall '\(syscall)'... Ctrl+C to quit." }
        return "Tracing \(failed)syscalls, printing top \(top)... Ctrl+C to quit."
    }

    public func run() throws {
        try ContainerOptions.requireHierarchy(if: containers)
        if list { return SyscallReport.printList() }
        var cfg = try bpfConfig()
        let child = try exec.start(pidGiven: pid != nil)
        if let child { (cfg.common.targ_tgid, cfg.common.targ_tid, cfg.targ_ppid) = (UInt32(bitPattern: child.pid), 0, 0) }
        let tableSize = min(max(UInt32((try? readFile("/proc/sys/kernel/pid_max"))?.trimmed ?? "") ?? 32768, 1024), 65536)
        let bpf = try ToolSession.start(tool: Self.toolName, object: Self.object, plan: plan, config: cfg, common: common,
                                        maxEntries: [("by_process", process ? tableSize : 1), ("by_cgroup", containers ? 4096 : 1),
                                                     ("start", latency ? 65536 : 1)])
        if prometheus.active {
            let metrics = SyscallMetrics(map: try bpf.map("by_syscall"), latency: latency)
            return try prometheus.serve(tool: Self.toolName, loaded: bpf) { metrics.families() }
        }
        let report = SyscallReport(map: try bpf.map(containers ? "by_cgroup" : process ? "by_process" : "by_syscall"), lost: bpf.lostCounter(),
                                   options: self)
        common.announce(banner)
        try exec.release(child)
        // BCC: without -i, one report at the end (-d's, or Ctrl-C's); with -i, one per interval
        // until -d has passed
        let every = interval ?? duration ?? ArgumentLimits.maxSeconds
        let reports = duration.map { ($0 + every - 1) / every }
        try IntervalLoop.run(interval: Double(every), count: reports, loaded: bpf, until: { child?.hasExited ?? false }) {
            try report.print()
        }
        common.announce("Detaching...")
    }
}
