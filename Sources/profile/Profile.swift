import ArgumentParser
import BPFEvents
import Glibc
import LoaderCore
import Synchronization

/// profile's options (BCC's names, meanings and exclusions) and its run.
public struct Profile: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "profile",
        abstract: "Profile CPU stack traces at a timed interval",
        discussion: """
        examples:
            ./profile             # profile stack traces at 49 Hertz until Ctrl-C
            ./profile -F 99       # profile stack traces at 99 Hertz
            ./profile -c 1000000  # profile stack traces every 1 in a million events
            ./profile 5           # profile at 49 Hertz for 5 seconds only
            ./profile -f 5        # output in folded format for flame graphs
            ./profile -p 185      # only profile process with PID 185
            ./profile -L 185      # only profile thread with TID 185
            ./profile -U          # only show user space stacks (no kernel)
            ./profile -K          # only show kernel space stacks (no user)
            ./profile --flamegraph out.svg 10  # an SVG flame graph of 10 seconds
        """)

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")],
            help: ArgumentHelp("profile process with one or more comma separated PIDs only", valueName: "PID"))
    var pids: IDList?

    @Option(name: [.customShort("L", allowingJoined: true), .customLong("tid")],
            help: ArgumentHelp("profile thread with one or more comma separated TIDs only", valueName: "TID"))
    var tids: IDList?

    @Flag(name: [.customShort("U"), .customLong("user-stacks-only")], help: "show stacks from user space only (no kernel space stacks)")
    var userStacksOnly = false

    @Flag(name: [.customShort("K"), .customLong("kernel-stacks-only")], help: "show stacks from kernel space only (no user space stacks)")
    var kernelStacksOnly = false

    @Option(name: [.customShort("F", allowingJoined: true), .customLong("frequency")],
            help: ArgumentHelp("sample frequency, Hertz", valueName: "FREQUENCY"))
    var frequency: Int?

    @Option(name: [.customShort("c", allowingJoined: true), .customLong("count")],
            help: ArgumentHelp("sample period, number of events", valueName: "COUNT"))
    var count: Int?

    @Flag(name: [.customShort("d"), .customLong("delimited")], help: "insert delimiter between kernel/user stacks")
    var delimited = false

    @Flag(name: [.customShort("a"), .customLong("annotations")], help: "add _[k] annotations to kernel frames")
    var annotations = false

    @Flag(name: [.customShort("I"), .customLong("include-idle")], help: "include CPU idle stacks")
    var includeIdle = false

    @Flag(name: [.customShort("f"), .customLong("folded")], help: "output folded format, one line per stack (for flame graphs)")
    var folded = false

    @Flag(name: .customLong("no-demangle"), help: "show C++ and Rust function names as the binary has them (mangled)")
    var noDemangle = false

    @Flag(name: [.customShort("A"), .customLong("address")], help: "show raw addresses")
    var addresses = false

    @Option(name: .customLong("unwind"),
            help: ArgumentHelp("how user stacks are walked: dwarf (the binaries' CFI), fp (frame pointers, as BCC), auto (CFI, "
                               + "frame pointers for a process where they give the same stacks) (default auto)", valueName: "{auto,dwarf,fp}"))
    var unwind: UnwindMode = .auto

    @Option(name: .customLong("hash-storage-size"), help: ArgumentHelp("the number of hash keys that can be stored and (default 40960)", valueName: "HASH_STORAGE_SIZE"))
    var hashStorageSize = 40960

    @Option(name: .customLong("stack-storage-size"), help: ArgumentHelp("the number of unique stack traces that can be stored and displayed (default 16384)", valueName: "STACK_STORAGE_SIZE"))
    var stackStorageSize = 16384

    @Option(name: [.customShort("C", allowingJoined: true), .customLong("cpu")], parsing: .unconditional,
            help: ArgumentHelp("cpu number to run profile on", valueName: "CPU"))
    var cpu: Int?

    @OptionGroup var flameGraph: FlameGraphOptions

    @Option(name: .customLong("pprof"), help: ArgumentHelp("also write the samples as a gzipped pprof profile to this file", valueName: "FILE"))
    var pprof: String?

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    /// Its own option, not ExportOptions' group: profile has no --otlp (OTLP profiles are not
    /// a stable signal), and an option listed must be one it takes.
    @Option(name: .customLong("prometheus"),
            help: ArgumentHelp("serve /debug/pprof/profile?seconds=N (as Go's net/http/pprof) and /metrics at http://ADDR (e.g. :6060) instead of printing; run until stopped",
                               valueName: "ADDR"))
    var prometheus: String?

    /// --prometheus as the core's export options (parsed: an option group's values exist
    /// only once parsed); nil without it.
    var exportOptions: ExportOptions? {
        prometheus.flatMap { try? ExportOptions.parse(["--prometheus", $0]) }
    }

    @Argument(help: "duration of trace, in seconds")
    var duration: Int?

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "profile", base64: embeddedBPFObjectBase64)
    public var plan: AttachPlan { Self.plan }
    public static let output = ToolOutput.summary(
        banner: (try? Profile.parse([]))?.banner ?? "",
        jsonKeys: ["timestamp", "pid", "comm", "count", "kernel_stack", "user_stack", "address", "symbol", "offset", "module"]
            + ContainerIdentity.jsonKeys.map(\.key))

    public func validate() throws {
        if pids != nil && tids != nil { throw ValidationError("argument -L/--tid: not allowed with argument -p/--pid") }
        if userStacksOnly && kernelStacksOnly {
            throw ValidationError("argument -K/--kernel-stacks-only: not allowed with argument -U/--user-stacks-only")
        }
        if frequency != nil && count != nil { throw ValidationError("argument -c/--count: not allowed with argument -F/--frequency") }
        let maxFrequency = PerfSampling.maxFrequency()
        if let frequency, frequency > maxFrequency {
            throw ValidationError("argument -F/--frequency: \(frequency) Hertz is above this kernel's limit, kernel.perf_event_max_sample_rate = \(maxFrequency)")
        }
        try ArgumentLimits.checkPositive(frequency, "-F/--frequency", unit: "Hertz", max: maxFrequency)
        try ArgumentLimits.checkPositive(count, "-c/--count", unit: "events", max: Int.max)
        try ArgumentLimits.checkPositive(duration, "duration", unit: "seconds", max: ArgumentLimits.maxSeconds)
        if hashStorageSize <= 0 || hashStorageSize > 1 << 24 {
            throw ValidationError("argument --hash-storage-size: must be positive (at most 16777216)")
        }
        if stackStorageSize <= 0 || stackStorageSize > 1 << 24 {
            throw ValidationError("argument --stack-storage-size: must be positive (at most 16777216)")
        }
        // -1 is BCC's default: every CPU
        if let cpu, cpu < -1 { throw ValidationError("argument -C/--cpu: must be a CPU number, or -1 for all") }
        if let prometheus {
            do { _ = try MetricsServer.parse(prometheus) } catch { throw ValidationError(error.message) }
        }
        if prometheus != nil {
            for (given, name) in [(duration != nil, "duration"), (pprof != nil, "--pprof"), (flameGraph.path != nil, "--flamegraph"),
                                  (folded, "-f/--folded"), (common.json, "--json")] where given {
                throw ValidationError("argument \(name): not allowed with argument --prometheus (which serves /debug/pprof/profile?seconds=N until stopped)")
            }
        }
    }

    /// Whether samples' user stacks are copied to user space and unwound there with CFI.
    /// --prometheus counts in the kernel by frame-pointer stacks (BCC's walk): a profile is
    /// asked for at any time, and only the kernel's tables hold samples between requests.
    var unwindsInUserSpace: Bool { unwind != .fp && !kernelStacksOnly && prometheus == nil }

    /// The ring the copied stacks go through: 50 ms of samples on every CPU sampled, at 2 KiB
    /// each (a sample sends only the stack in use: 1-3 KiB for most, 16 KiB at most; at 4 KiB
    /// the ring was 2 MB at 4999 Hz on two CPUs, 4 MB of RSS, and 1 MB lost none of a Python
    /// workload's 48,455 samples in 5 s or of the benchmark's), a power
    /// of two from 256 KiB to 64 MiB; -c's rate is unknown, taken as 1,000 a second. The
    /// reader is woken when a quarter is full. The kernel maps the whole ring into profile
    /// twice over (its wrap-around), and all of it counts in profile's RSS: sized for the
    /// worst case (200 ms of 16 KiB copies), 4999 Hz on two CPUs made 107 MB.
    func ringBytes(cpus: Int) -> UInt32 {
        let perSecond = UInt64(count != nil ? 1000 : frequency ?? 49) * UInt64(max(cpus, 1))
        let wanted = perSecond * Self.typicalSampleBytes / 20
        var bytes: UInt64 = 256 << 10
        while bytes < wanted && bytes < 64 << 20 { bytes <<= 1 }
        return UInt32(bytes)
    }

    static let typicalSampleBytes: UInt64 = 2048

    /// The CPU of -C, nil for all (no -C, or BCC's -1).
    var chosenCPU: Int? { cpu.flatMap { $0 >= 0 ? $0 : nil } }

    /// BCC's banner, e.g. "Sampling at 49 Hertz of all threads by user + kernel stack... Hit Ctrl-C to end."
    var banner: String {
        let sample = count.map { "every \($0) events" } ?? "\(frequency ?? 49) Hertz"
        let threads = pids.map { "PID \($0)" } ?? tids.map { "TID \($0)" } ?? "all threads"
        let stacks = userStacksOnly ? "user" : kernelStacksOnly ? "kernel" : "user + kernel"
        var text = "Sampling at \(sample) of \(threads) by \(stacks) stack"
        if let cpu = chosenCPU { text += " on CPU#\(cpu)" }
        return text + (duration.map { " for \($0) secs." } ?? "... Hit Ctrl-C to end.")
    }

    public func bpfConfig() throws -> profile_cfg {
        var cfg = profile_cfg()
        cfg.common = try common.bpfConfig()
        cfg.filter = UInt32(pids != nil ? PROFILE_FILTER_TGID : tids != nil ? PROFILE_FILTER_TID : PROFILE_FILTER_NONE)
        cfg.include_idle = includeIdle ? 1 : 0
        cfg.user_stacks = kernelStacksOnly ? 0 : 1
        cfg.kernel_stacks = userStacksOnly ? 0 : 1
        cfg.unwind = unwindsInUserSpace ? unwind.bpfValue : UInt32(PROFILE_UNWIND_FP)
        cfg.by_cgroup = containers ? 1 : 0
        return cfg
    }

    public func run() throws {
        try ContainerOptions.requireHierarchy(if: containers)
        let cfg = try bpfConfig()

        let online = PerfSampling.onlineCPUs()
        if let cpu = chosenCPU, !online.contains(Int32(clamping: cpu)) { throw BPFError(.invalidArgument, "CPU \(cpu) is not online (online: \(online.map(String.init).joined(separator: ",")))") }
        let sampling = PerfSampling(rate: count.map { .period(UInt64($0)) } ?? .frequency(UInt64(frequency ?? 49)),
                                    cpus: chosenCPU.map { [Int32(clamping: $0)] } ?? online)
        let targets = (pids ?? tids)?.ids ?? []
        var sizes: [(map: String, entries: UInt32)] = [("counts", UInt32(hashStorageSize)), ("stack_traces", UInt32(stackStorageSize))]
        if !targets.isEmpty { sizes.append(("targets", UInt32(targets.count))) }
        // the smallest ring the kernel makes when no stack goes through it
        sizes.append(("events", unwindsInUserSpace ? ringBytes(cpus: sampling.cpus.count) : UInt32(getpagesize())))

        if let path = flameGraph.path { try checkWritable(path) }
        if let pprof { try checkWritable(pprof) }
        let bpf = try session(cfg, sampling, sizes, targets)
        if !folded && !common.json { OutputSink.stdout.writeLine(banner) } else { Diagnostics.line(banner) }
        let stacks = StackTraces(try bpf.map("stack_traces"))
        if let exportOptions { return try serveProfiles(bpf, stacks, exportOptions) }
        guard unwindsInUserSpace else {
            let report = StackReport(options: self, counts: try bpf.map("counts"), stacks: stacks, lost: bpf.lostCounter(), kernelNamer: KernelSymbolNamer(bpf))
            try IntervalLoop.run(interval: Double(duration ?? 99_999_999), count: 1, loaded: bpf) {
                try report.print()
            }
            return
        }
        let report = StackReport(options: self, counts: try bpf.map("counts"), stacks: stacks, lost: bpf.lostCounter(), kernelNamer: KernelSymbolNamer(bpf),
                                 unwinding: true, fpProcesses: unwind == .auto ? try bpf.map("fp_processes") : nil)
        // records are unwound as they come, while their processes are there; lost ones are
        // reported as they happen ("Possibly lost N samples")
        let reader = try bpf.ringBuffer { report.add($0) }
        let timing = PhaseTiming(tool: "profile")
        // the report covers the sampling's time: sampling stops there, and what was sampled
        // until then is in the ring or the kernel's tables
        try EventLoop.run(reader, duration: duration.map(Double.init), beforeFinalDrain: {
            timing.mark("sampling")
            bpf.detach()
        })
        reader.close()
        report.samplingEnded()
        timing.mark("unwinding the samples still in the ring")
        try report.print(timing: timing)
        KeptUntilExit.keep(report)
    }

    /// --prometheus: /debug/pprof/profile?seconds=N (30 by default, as Go's net/http/pprof)
    /// samples for N seconds from the request on and answers a gzipped pprof profile; one at a
    /// time (another gets 409). /metrics has the tool's own metrics.
    private func serveProfiles(_ bpf: borrowing LoadedBPF, _ stacks: StackTraces, _ exportOptions: ExportOptions) throws {
        let report = UncheckedSendable(StackReport(options: self, counts: try bpf.map("counts"), stacks: stacks, lost: bpf.lostCounter(), kernelNamer: KernelSymbolNamer(bpf)))
        let busy = Mutex(false)
        let route: MetricsServer.Route = { query in
            let requested = query.split(separator: "&").first { $0.hasPrefix("seconds=") }.map { Int($0.dropFirst("seconds=".count)) }
            guard let seconds = requested ?? 30, (1...3600).contains(seconds) else {
                return .text("400 Bad Request", "seconds: a whole number from 1 to 3600\n")
            }
            guard busy.withLock({ inProgress in
                defer { inProgress = true }
                return !inProgress
            }) else { return .text("409 Conflict", "a profile is already being taken\n") }
            defer { busy.withLock { $0 = false } }
            do {
                guard let bytes = try report.value.profile(seconds: seconds) else { return .text("503 Service Unavailable", "profile is ending\n") }
                return MetricsServer.Response(contentType: "application/octet-stream", body: bytes)
            } catch let error as BPFError {
                return .text("500 Internal Server Error", error.message + "\n")
            } catch {
                return .text("500 Internal Server Error", "\(error)\n")
            }
        }
        try exportOptions.serve(tool: "profile", loaded: bpf, routes: ["/debug/pprof/profile": route], families: { [] })
    }

    /// Loaded and attached; a table the kernel cannot allocate names the option that sized it.
    private func session(_ cfg: profile_cfg, _ sampling: PerfSampling, _ sizes: [(map: String, entries: UInt32)],
                         _ targets: [UInt32]) throws(BPFError) -> LoadedBPF {
        do {
            return try ToolSession.start(tool: "profile", object: Self.object,
                                         plan: Self.plan, config: cfg, common: common, maxEntries: sizes, sampling: sampling,
                                         beforeAttach: { loaded throws(BPFError) in
                let map = try loaded.map("targets")
                for id in targets { try map.update(id, UInt8(1)) }
            })
        } catch where error.errorNumber == ENOMEM {
            throw BPFError(error.code, "\(error.message): the kernel cannot allocate --stack-storage-size \(stackStorageSize) "
                           + "and --hash-storage-size \(hashStorageSize); lower them", detail: error.detail)
        }
    }

    /// Hardware cycles where there is a PMU, the CPU clock everywhere (BCC's choice). Where
    /// the kernel has no bpf_task_pt_regs() (before 5.15), a sample taken in the kernel finds
    /// the task's user registers at the top of its kernel stack instead; without
    /// bpf_find_vma() (before 5.17), a thread other than a process's first sends what can be
    /// read of the 16 KiB window, not just its stack.
    static let plan: AttachPlan = [
        .oneOf("sampling", [ProbeCandidate(.perfEvent(.cpuCycles), program: "do_perf_event_vma", requires: [.taskRegsHelper, .findVMAHelper]),
                            ProbeCandidate(.perfEvent(.cpuClock), program: "do_perf_event_vma", requires: [.taskRegsHelper, .findVMAHelper]),
                            ProbeCandidate(.perfEvent(.cpuCycles), program: "do_perf_event", requires: [.taskRegsHelper]),
                            ProbeCandidate(.perfEvent(.cpuClock), program: "do_perf_event", requires: [.taskRegsHelper]),
                            ProbeCandidate(.perfEvent(.cpuCycles), program: "do_perf_event_task_stack"),
                            ProbeCandidate(.perfEvent(.cpuClock), program: "do_perf_event_task_stack")]),
        KernelSymbolNamer.chain,
    ]
}
