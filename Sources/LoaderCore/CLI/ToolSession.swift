import CLibbpf
import Glibc

/// Everything between parsed options and the first event, the same for every tool: libbpf
/// logging, start-up checks, signals, open, read-only config, map sizes, probe choice, load,
/// `beforeAttach` (to fill maps the programs read), attach. Returns the attached object;
/// dropping it detaches everything.
public enum ToolSession {
    /// `config` is a C struct from the tool's shared header (see BPFTool.Config).
    public static func start<Config>(
        tool: String,
        object: EmbeddedObject,
        plan: AttachPlan,
        config: Config,
        common: CommonOptions,
        maxEntries: [(map: String, entries: UInt32)] = [],
        valueSizes: [(map: String, bytes: UInt32)] = [],
        sampling: PerfSampling? = nil,
        kernel: some KernelFeatures = RunningKernel(),
        beforeAttach: (borrowing LoadedBPF) throws(BPFError) -> Void = { _ throws(BPFError) in }
    ) throws(BPFError) -> LoadedBPF {
        let timing = PhaseTiming(tool: tool, fromProcessStart: true)
        LibbpfLog.shared.install(verbose: common.verbose)
        // only a plan of perf events alone (profile), with programs run on demand, can do without tracefs
        let tracefs = plan.flatMap(\.candidates).contains {
            switch $0.kind {
            case .perfEvent, .onDemand: false
            default: true
            }
        }
        try Preflight.run(tool: tool, tracefs: tracefs)
        Signals.install()
        Clock.loadTimeZone()
        timing.mark("checks")

        func openLoadAttach(btfPath: String?, failed: [String: String]) throws(BPFError) -> LoadedBPF {
            var obj = try BPFObject(object, btfPath: btfPath)
            try withUnsafeBytes(of: config) { bytes throws(BPFError) in try obj.configure(bytes: bytes) }
            for (map, entries) in maxEntries {
                try obj.setMaxEntries(map, entries)
                // the streaming tools' ring (ringbuf.bpf.h) wakes the reader when a quarter full
                if map == "events" { try obj.configure(UInt64(entries / 4), variable: "ringbuf_wakeup_bytes") }
            }
            for (map, bytes) in valueSizes {
                try obj.setValueSize(map, bytes)
            }
            if let sampling { obj.setSampling(sampling) }
            try obj.choose(plan, kernel: kernel, failed: failed)
            timing.mark("open")
            if common.verbose {
                for resolution in obj.resolutions { Diagnostics.line("\(tool): \(resolution.summary)") }
            }
            let loaded = try obj.load()
            timing.mark("load")
            try beforeAttach(loaded)
            try loaded.attach()
            timing.mark("attach")
            return loaded
        }

        /// A program the kernel refuses at load or attach (fentry where the kernel forbids it,
        /// say) is passed over for the next candidate of its chain, and the whole object
        /// reloaded; when a chain runs out, resolving says which probes were tried and why.
        func openLoadAttach(btfPath: String?) throws(BPFError) -> LoadedBPF {
            var failed = avoidedPrograms(plan)
            while true {
                do {
                    return try openLoadAttach(btfPath: btfPath, failed: failed)
                } catch where error.code == .load || error.code == .attach {
                    guard let program = error.program, failed[program] == nil,
                          plan.contains(where: { $0.candidates.contains { $0.program == program } }) else { throw error }
                    failed[program] = error.message
                    if common.verbose { Diagnostics.line("\(tool): \(program) failed (\(error.message)); trying the next probe") }
                }
            }
        }

        let cache = BTFCache(object: object)
        if BTFCache.enabled && cache.isPresent {
            do {
                let loaded = try openLoadAttach(btfPath: cache.path)
                if common.verbose { Diagnostics.line("\(tool): relocated with the cached minimal BTF \(cache.path)") }
                return loaded
            } catch where error.code == .load {
                cache.remove()
                if common.verbose { Diagnostics.line("\(tool): the cached BTF \(cache.path) was rejected; using the kernel's") }
            }
        }
        let loaded = try openLoadAttach(btfPath: nil)
        if BTFCache.enabled {
            let handle = loaded.handle
            let verbose = common.verbose
            loaded.afterStart { [unowned handle] in
                if let reason = cache.generate(object: object, checkingAgainst: handle), verbose {
                    Diagnostics.line("\(tool): no minimal BTF cached: \(reason)")
                }
            }
        }
        return loaded
    }
}

/// Programs the environment asks to pass over, to exercise fallbacks on a kernel that has
/// the preferred probes: BPF_TOOLS_AVOID_PROBES is a comma-separated list of program names or
/// kinds as in section names (`tp_btf`, `raw_tp`, `tracepoint`, `kprobe`...).
func avoidedPrograms(_ plan: AttachPlan) -> [String: String] {
    guard let list = getenv("BPF_TOOLS_AVOID_PROBES").map({ String(cString: $0) }), !list.isEmpty else { return [:] }
    let avoided = Set(list.split(separator: ",").map(String.init))
    var result: [String: String] = [:]
    for candidate in plan.flatMap(\.candidates) {
        let kind = String(candidate.kind.sectionName.prefix { $0 != "/" })
        if avoided.contains(candidate.program) || avoided.contains(kind) {
            result[candidate.program] = "avoided by BPF_TOOLS_AVOID_PROBES"
        }
    }
    return result
}

/// With BPF_TOOLS_TIMING=1 in the environment, prints how long each phase took (start-up's,
/// a final report's) on stderr, for the benchmark; otherwise does nothing.
public final class PhaseTiming {
    private let tool: String
    private let enabled = getenv("BPF_TOOLS_TIMING").map { String(cString: $0) == "1" } ?? false
    private var last = Clock.monotonicNs()

    public init(tool: String, fromProcessStart: Bool = false) {
        self.tool = tool
        if enabled && fromProcessStart { mark("process start to session", since: Clock.processStartNs()) }
    }

    public func mark(_ phase: String, since: UInt64? = nil) {
        guard enabled else { return }
        let now = Clock.monotonicNs()
        Diagnostics.line("\(tool): timing: \(phase) \(String(Double(now &- (since ?? last)) / 1e6)) ms\(Self.memory())")
        last = now
    }

    /// ", RSS N kB (peak M kB; ...)" from /proc/self/status and malloc's own count: which
    /// phase makes the peak, and of what (the binary's pages, the ring's, the heap's).
    private static func memory() -> String {
        guard let status = try? readFile("/proc/self/status") else { return "" }
        func kB(_ field: String) -> String {
            status.split(separator: "\n").first { $0.hasPrefix(field + ":") }?.split(separator: " ").dropFirst().first.map(String.init) ?? "?"
        }
        let heap = mallinfo2()
        return ", RSS \(kB("VmRSS")) kB (peak \(kB("VmHWM")) kB; anonymous \(kB("RssAnon")), files \(kB("RssFile")), "
            + "shared \(kB("RssShmem")) kB; malloc in use \((heap.uordblks &+ heap.hblkhd) / 1024) kB)"
    }
}
