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

    init(options: Profile, counts: BPFMap, stacks: BPFMap, lost: LostCounter) {
        self.options = options
        self.counts = counts
        self.stacks = StackTraces(stacks)
        self.lost = lost
        var layout = StackLayout()
        (layout.userOnly, layout.kernelOnly, layout.delimited) = (options.userStacksOnly, options.kernelStacksOnly, options.delimited)
        (layout.annotate, layout.addresses) = (options.annotations, options.addresses)
        layout.demangle = !options.noDemangle
        printer = StackPrinter(layout, tool: "profile", verbose: options.common.verbose)
    }

    func print() throws(BPFError) {
        let (samples, missing, tableFull) = try read()
        try printer.print(samples, folded: options.folded, json: options.common.json,
                          leading: { [("pid", .int(Int64($0.pid))), ("comm", .string($0.comm)), ("count", .int(Int64($0.count)))] },
                          flameGraph: options.flamegraph.map { ($0, "Flame Graph", "samples") })
        if let path = options.pprof { try pprof(samples).write(to: path) }
        if missing > 0 {
            Diagnostics.line("WARNING: \(missing) stack traces could not be displayed."
                             + (tableFull ? " Consider increasing --stack-storage-size." : ""))
        }
        if lost.newlyLost() > 0 { Diagnostics.line("WARNING: hash table full. Consider increasing --hash-storage-size.") }
    }

    /// The samples as pprof: counts and CPU time (each sample stands for one period of the
    /// sampling clock), or counts alone with -c (a period of events).
    private func pprof(_ samples: [StackSample]) -> PprofProfile {
        let seconds = Int64(options.duration ?? 0)
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
                                       kernel: kernelFrames, user: userFrames))
        }
        // least frequent first; ties in a stable order so that runs compare
        samples.sort { ($0.count, $0.pid, $0.comm) < ($1.count, $1.pid, $1.comm) }
        return (samples, missing, tableFull)
    }
}
