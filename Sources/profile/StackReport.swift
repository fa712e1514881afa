import BPFEvents
import LoaderCore

/// The samples counted in the kernel, symbolized and printed once at the end, as BCC prints
/// them: multi-line stacks or folded lines, least frequent first; or JSON, or a flame graph.
final class StackReport {
    private let options: Profile
    private let counts: BPFMap
    private let stacks: StackTraces
    private let lost: LostCounter
    private let printer: StackPrinter
    /// The samples unwound in user space (--unwind auto and dwarf).
    private let unwound: UnwoundSamples?

    /// `unwinding`: samples come through the ring to be unwound here (--unwind auto and dwarf),
    /// with the kernel's `fp_processes` under auto.
    init(options: Profile, counts: BPFMap, stacks: StackTraces, lost: LostCounter, kernelNamer: KernelSymbolNamer?,
         unwinding: Bool = false, fpProcesses: BPFMap? = nil) {
        self.options = options
        self.counts = counts
        self.stacks = stacks
        self.lost = lost
        var layout = StackLayout()
        (layout.userOnly, layout.kernelOnly, layout.delimited) = (options.userStacksOnly, options.kernelStacksOnly, options.delimited)
        (layout.annotate, layout.addresses) = (options.annotations, options.addresses)
        layout.containers = options.containers
        layout.demangle = !options.noDemangle
        let printer = StackPrinter(layout, tool: "profile", verbose: options.common.verbose, kernelNamer: kernelNamer)
        self.printer = printer
        // a process's symbols are read at its first sample: it may be gone by the report
        unwound = unwinding ? UnwoundSamples(stacks: stacks, fpProcesses: fpProcesses, verbose: options.common.verbose,
                                             newProcess: { printer.remember(pid: $0) }) : nil
    }

    /// A ring buffer record: a sample to unwind.
    func add(_ record: UnsafeRawBufferPointer) {
        unwound?.add(record)
    }

    /// The last record has been added.
    func samplingEnded() {
        unwound?.samplingEnded()
    }

    /// `timing`: BPF_TOOLS_TIMING's marks of the report's phases.
    func print(timing: PhaseTiming? = nil) throws(BPFError) {
        let (samples, missing, tableFull) = try read()
        timing?.mark("reading the kernel's tables and merging")
        try printer.print(samples, folded: options.folded, json: options.common.json, timing: timing,
                          leading: { [("pid", .int(Int64($0.pid))), ("comm", .string($0.comm)), ("count", .int(Int64($0.count)))] },
                          flameGraph: options.flameGraph.request(defaultTitle: "Flame Graph", unit: "samples"))
        if let path = options.pprof { try pprof(samples).write(to: path) }
        if missing > 0 {
            Diagnostics.line("WARNING: \(missing) stack traces could not be displayed."
                             + (tableFull ? " Consider increasing --stack-storage-size." : ""))
        }
        if lost.newlyLost() > 0 { Diagnostics.line("WARNING: hash table full. Consider increasing --hash-storage-size.") }
        if options.common.verbose { summarizeWalks(samples) }
        timing?.mark("the rest")
    }

    /// -v: how each binary's user stacks were walked.
    private func summarizeWalks(_ samples: [StackSample]) {
        guard let unwound else {
            Diagnostics.line("profile: user stacks walked with frame pointers (--unwind fp)")
            return
        }
        var byBinary: [String: (cfi: UInt64, fallback: UInt64, kernel: UInt64)] = [:]
        for (pid, walk) in unwound.walks {
            let binary = unwound.executable(pid: pid) ?? "PID \(pid)"
            byBinary[binary, default: (0, 0, 0)].cfi &+= walk.cfi
            byBinary[binary, default: (0, 0, 0)].fallback &+= walk.framePointers
        }
        for (pid, count) in kernelCounted {
            let binary = unwound.executable(pid: pid) ?? "PID \(pid)"
            byBinary[binary, default: (0, 0, 0)].kernel &+= count
        }
        for (binary, walks) in byBinary.sorted(by: { $0.key < $1.key }) {
            Diagnostics.line("profile: \(TerminalText.escaped(binary)): \(walks.cfi) samples unwound with CFI, "
                             + "\(walks.kernel) with frame pointers in the kernel, \(walks.fallback) with frame pointers where CFI failed")
        }
    }

    /// --containers: a cgroup's container identity (nil without the option).
    private let names = ContainerNames()
    private func container(_ cgroupID: UInt64) -> ContainerIdentity? {
        options.containers ? names.identity(cgroupID) : nil
    }

    /// Samples the kernel counted by frame-pointer stacks, by process (for -v).
    private var kernelCounted: [UInt32: UInt64] = [:]

    /// --prometheus's /debug/pprof/profile: the kernel's tables emptied, `seconds` of samples
    /// (unless a signal comes first: nil), and those as a gzipped pprof profile.
    func profile(seconds: Int) throws(BPFError) -> [UInt8]? {
        try counts.clear(keyType: profile_key.self)
        try stacks.clear()
        kernelCounted.removeAll()
        guard IntervalLoop.sleep(seconds: Double(seconds), output: .stdout) else { return nil }
        let (samples, _, _) = try read()
        return Gzip.compress(pprof(samples, seconds: seconds).encoded())
    }

    /// The samples as pprof: counts and CPU time (each sample stands for one period of the
    /// sampling clock), or counts alone with -c (a period of events).
    private func pprof(_ samples: [StackSample], seconds: Int? = nil) -> PprofProfile {
        let seconds = Int64(seconds ?? options.duration ?? 0)
        if let events = options.count {
            let profile = PprofProfile(sampleTypes: [("samples", "count")], periodType: ("events", "count"), period: Int64(events),
                                       durationNs: seconds * 1_000_000_000)
            printer.pprof(samples, profile) { [Int64(clamping: $0.count)] }
            return profile
        }
        let periodNs = 1_000_000_000 / Int64(options.frequency ?? 49)
        let profile = PprofProfile(sampleTypes: [("samples", "count"), ("cpu", "nanoseconds")], periodType: ("cpu", "nanoseconds"),
                                   period: periodNs, durationNs: seconds * 1_000_000_000)
        printer.pprof(samples, profile) { [Int64(clamping: $0.count), Int64(clamping: $0.count) &* periodNs] }
        return profile
    }

    /// The kernel's counts and those of the samples unwound in user space as one list: a
    /// process counted both ways (auto, before and after its switch to frame pointers) has
    /// the same stack once. Only such processes' stacks (and missed ones, which compare equal)
    /// go through a table: hashing every stack's frames took a third of a 30,000-stack report.
    private func merged(_ counted: [StackSample], _ unwound: UnwoundSamples,
                        missing: inout Int, tableFull: inout Bool) throws(BPFError) -> [StackSample] {
        struct Stacks: Hashable {
            let pid: UInt32
            let comm: String
            let container: ContainerIdentity?
            let kernel: [UInt64]?
            let user: [UInt64]?

            /// The frames folded into one number first, then hashed once: SipHash over every
            /// frame of 40,000 stacks was a fifth of the merge. Equality still compares them all.
            func hash(into hasher: inout Hasher) {
                var mix = UInt64(pid)
                for frame in kernel ?? [] { mix = (mix ^ frame) &* 0x100_0000_01B3 }
                mix = (mix ^ UInt64(kernel?.count ?? .max)) &* 0x9E37_79B9_7F4A_7C15
                for frame in user ?? [] { mix = (mix ^ frame) &* 0x100_0000_01B3 }
                mix = (mix ^ UInt64(user?.count ?? .max)) &* 0x9E37_79B9_7F4A_7C15
                hasher.combine(mix)
                hasher.combine(comm)
            }
        }
        let countedPIDs = Set(counted.map(\.pid))
        let unwoundPIDs = Set(unwound.walks.keys)
        // held here only: freed when the merge returns, before the report sorts and prints
        let (unwoundCounts, contexts, paths) = unwound.takeCounts()
        var samples: [StackSample] = []
        samples.reserveCapacity(counted.count + unwoundCounts.count)
        var totals: [Stacks: UInt64] = [:]
        if !countedPIDs.isDisjoint(with: unwoundPIDs) { totals.reserveCapacity(counted.count + unwoundCounts.count) }
        func add(_ s: StackSample, countedBothWays: Bool) {
            guard countedBothWays || s.kernel == nil || s.userMissed else { return samples.append(s) }
            totals[Stacks(pid: s.pid, comm: s.comm, container: s.container, kernel: s.kernel, user: s.user), default: 0] &+= s.count
        }
        for s in counted { add(s, countedBothWays: unwoundPIDs.contains(s.pid)) }
        try unwoundCounts.forEach { (key, count) throws(BPFError) in
            let (index, node) = UnwoundSamples.split(key)
            guard index < contexts.count else { return }
            let context = contexts[index]
            // the kernel address sampled is the innermost frame of the node's path, above the user stack
            let (kernelIP, userNode) = context.kernelIPInPath ? (paths.address(node), paths.parent(node)) : (0, node)
            var kernelFrames: [UInt64]? = []
            if !options.userStacksOnly {
                kernelFrames = try stacks.stack(context.kernelStackID, missing: &missing, tableFull: &tableFull)
                if kernelIP != 0, context.kernelStackID >= 0, let frames = kernelFrames { kernelFrames = [kernelIP] + frames }
            }
            let sample: StackSample
            if !context.userMissed {
                sample = StackSample(pid: context.pid, shownID: context.pid, comm: context.comm, count: count, kernel: kernelFrames,
                                     userPath: (paths, userNode), container: container(context.cgroupID))
            } else {
                missing += 1
                sample = StackSample(pid: context.pid, shownID: context.pid, comm: context.comm, count: count, kernel: kernelFrames,
                                     user: nil, container: container(context.cgroupID))
            }
            add(sample, countedBothWays: countedPIDs.contains(context.pid))
        }
        samples += totals.map { StackSample(pid: $0.key.pid, shownID: $0.key.pid, comm: $0.key.comm, count: $0.value,
                                            kernel: $0.key.kernel, user: $0.key.user, container: $0.key.container) }
        return samples
    }

    /// The counts, least frequent first, with the number of stacks that could not be shown
    /// (BCC's count) and whether any was lost to a full stack table.
    private func read() throws(BPFError) -> ([StackSample], Int, Bool) {
        var samples: [StackSample] = []
        var missing = 0, tableFull = false
        for (key, count) in try counts.entries(profile_key.self, UInt64.self) {
            var kernelFrames: [UInt64]? = []
            var userFrames: [UInt64]? = []
            if !options.userStacksOnly {
                kernelFrames = try stacks.stack(key.kernel_stack_id, missing: &missing, tableFull: &tableFull)
                // the sampled address itself: the stack starts at its caller
                if key.kernel_ip != 0, key.kernel_stack_id >= 0, let frames = kernelFrames { kernelFrames = [key.kernel_ip] + frames }
            }
            if !options.kernelStacksOnly {
                userFrames = try stacks.stack(key.user_stack_id, missing: &missing, tableFull: &tableFull)
            }
            samples.append(StackSample(pid: key.pid, shownID: key.pid, comm: KernelString.from(tuple: key.comm), count: count,
                                       kernel: kernelFrames, user: userFrames, container: container(key.cgroup_id)))
            if key.user_stack_id >= 0 { kernelCounted[key.pid, default: 0] &+= count }
        }
        if let unwound { samples = try merged(samples, unwound, missing: &missing, tableFull: &tableFull) }
        return (StackSample.leastFirst(samples, by: { $0.pid }), missing, tableFull)
    }
}
