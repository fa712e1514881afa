import BPFEvents
import LoaderCore

/// The off-CPU time added up in the kernel, printed once at the end as BCC prints it: stacks
/// (multi-line or folded) by total time, least first; or JSON, or a flame graph.
final class OffCPUReport {
    private let options: OffCPUTime
    private let counts: BPFMap
    private let stacks: StackTraces
    private let lost: LostCounter
    private let printer: StackPrinter

    init(options: OffCPUTime, counts: BPFMap, stacks: BPFMap, lost: LostCounter, kernelNamer: KernelSymbolNamer?) {
        (self.options, self.counts, self.stacks, self.lost) = (options, counts, StackTraces(stacks), lost)
        var layout = StackLayout()
        (layout.userOnly, layout.kernelOnly, layout.delimited) = (options.userStacksOnly, options.kernelStacksOnly, options.delimited)
        layout.frameText = options.offset ? .offset : .bare
        layout.containers = options.containers
        // stacks taken at sched_switch: from __schedule, as BCC's (from finish_task_switch) are
        layout.kernelStackFrom = "__schedule"
        printer = StackPrinter(layout, tool: "offcputime", verbose: options.common.verbose, kernelNamer: kernelNamer)
    }

    private let names = ContainerNames()

    func print() throws(BPFError) {
        var missing = 0, tableFull = false
        var samples: [StackSample] = []
        for (key, total) in try counts.entries(offcputime_key.self, UInt64.self) {
            let kernel = options.userStacksOnly ? [] : try stacks.stack(key.kernel_stack_id, missing: &missing, tableFull: &tableFull)
            let user = options.kernelStacksOnly ? [] : try stacks.stack(key.user_stack_id, missing: &missing, tableFull: &tableFull)
            samples.append(StackSample(pid: key.tgid, shownID: key.pid, comm: KernelString.from(tuple: key.comm),
                                       count: total, kernel: kernel, user: user,
                                       container: options.containers ? names.identity(key.cgroup_id) : nil))
        }
        samples = StackSample.leastFirst(printer.trimmed(samples), by: { $0.shownID })  // BCC's order
        try printer.print(samples, folded: options.folded, json: options.common.json,
                          leading: { [("pid", .int(Int64($0.pid))), ("tid", .int(Int64($0.shownID))), ("comm", .string($0.comm)),
                                      ("total_us", .unsigned($0.count))] },
                          flameGraph: options.flameGraph.request(defaultTitle: "Off-CPU Time Flame Graph", unit: "us"))
        if missing > 0 {
            Diagnostics.line("WARNING: \(missing) stack traces lost and could not be displayed."
                             + (tableFull ? " Consider increasing --stack-storage-size." : ""))
        }
        let notCounted = lost.newlyLost()
        if notCounted > 0 { Diagnostics.line("WARNING: \(notCounted) off-CPU times were not added up: the table of stacks is full.") }
    }
}
