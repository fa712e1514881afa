import BPFEvents
import LoaderCore

/// One interval's histograms, printed as BCC prints them (or as JSON).
///
/// The BPF side only ever adds to its histograms; each report prints what was added since the
/// previous one. (BCC reads then clears the map, which loses the I/Os that complete in
/// between; the difference of two reads loses none.)
final class LatencyReport {
    private let hists: BPFMap
    private let lost: LostCounter
    private let options: BioLatency
    private let devices = BlockDevices()
    private let deltas = HistogramDeltas<Key>()
    /// The kernel's count of completed I/Os to check the histograms against (not with
    /// --cgroup: the kernel does not count per cgroup).
    private let kernelCount: DiskCompletions?
    /// I/Os in the histograms and I/Os reported lost, since the start.
    private var counted: UInt64 = 0
    private var lostSoFar: UInt64 = 0

    private struct Key: Hashable {
        let dev: UInt32
        let flags: UInt32
        let cgroup: UInt64
    }
    private let names = ContainerNames()

    struct Histogram {
        var slots: [UInt64]
        var total: UInt64

        init(_ raw: biolatency_hist) {
            var raw = raw
            slots = withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) }
            total = raw.total
        }

        init(slots: [UInt64], total: UInt64) {
            self.slots = slots
            self.total = total
        }

        /// The slots, then the total: the counters HistogramDeltas differences.
        var counters: [UInt64] { slots + [total] }

        init(counters: [UInt64]) {
            self.init(slots: Array(counters.dropLast()), total: counters.last ?? 0)
        }

        var count: UInt64 { slots.reduce(0, &+) }
    }

    /// Create it once the programs are attached: the kernel's count starts here.
    init(loaded: borrowing LoadedBPF, options: BioLatency, device: BlockDevice?) throws(BPFError) {
        hists = try loaded.map("hists")
        lost = loaded.lostCounter()
        self.options = options
        kernelCount = options.common.cgroup == nil ? try DiskCompletions(only: device, loaded: loaded) : nil
    }

    /// This interval's histograms with a section name (disk, flags or container) if -D, -F or
    /// --containers, in name order; `container` with --containers.
    private func interval() throws(BPFError) -> [(section: String?, hist: Histogram, container: ContainerIdentity?)] {
        let current = try hists.entries(biolatency_key.self, biolatency_hist.self).map { key, value in
            (Key(dev: key.dev, flags: key.flags, cgroup: key.cgroup_id), Histogram(value).counters)
        }
        return deltas.next(current).compactMap { key, counters -> (String?, Histogram, ContainerIdentity?)? in
            let delta = Histogram(counters: counters)
            guard delta.count > 0 else { return nil }
            let container = options.containers ? names.identity(key.cgroup) : nil
            let section = options.disks ? devices.name(ofKernelDev: key.dev)
                : options.flags ? RequestFlags.describe(key.flags)
                : options.containers ? TerminalText.escaped(ContainerIdentity.name(container)) : nil
            return (section, delta, container)
        }.sorted { ($0.0 ?? "") < ($1.0 ?? "") }
    }

    func print() throws(BPFError) {
        let out = OutputSink.stdout
        let kernelCompleted = kernelCount?.snapshot()  // before the histograms: see DiskCompletions
        let histograms = try interval()
        if options.json {
            printJSON(histograms, out)
        } else {
            printText(histograms, out)
        }
        counted &+= histograms.reduce(0) { $0 &+ $1.hist.count }
        let missed = lost.newlyLost()
        lostSoFar &+= missed
        if missed > 0 { Diagnostics.line("biolatency: \(missed) I/Os were not counted (too many requests in flight for the tool's maps)") }
        if let kernelCompleted, let kernelCount {
            let unseen = kernelCount.newlyUnseen(kernelCompleted, counted: counted, lost: lostSoFar)
            if unseen > 0 {
                Diagnostics.line("biolatency: \(unseen) I/Os the kernel completed (/proc/diskstats) are missing from the histograms "
                                 + DiskCompletions.unseenReason)
            }
        }
    }

    private func printText(_ histograms: [(section: String?, hist: Histogram, container: ContainerIdentity?)], _ out: OutputSink) {
        out.writeLine("")
        if options.timestamp { out.writeLine(PyFormat("%-8s")(.text(Clock.localTime()))) }
        let sectionName = options.disks ? "disk" : options.flags ? "flags" : "container"
        for (section, hist, _) in histograms {
            if let section { out.writeLine("\n\(sectionName) = \(section)") }
            for line in Log2Histogram(slots: hist.slots).lines(unit: options.unit) { out.writeLine(line) }
        }
        let count = histograms.reduce(0) { $0 + $1.hist.count }
        if options.extension_ && count > 0 {
            let total = histograms.reduce(0) { $0 + $1.hist.total }
            out.writeLine("\navg = \(total / count) \(options.unit), total: \(total) \(options.unit), count: \(count)\n")
        }
    }

    /// One JSON object per histogram and nothing else, so the output is JSON Lines (BCC prints
    /// Python dict reprs between blank lines and -T times).
    private func printJSON(_ histograms: [(section: String?, hist: Histogram, container: ContainerIdentity?)], _ out: OutputSink) {
        let ts = Clock.localTime("%Y-%m-%d %H:%M:%S"), now = Clock.timestamp()
        let sectionKey = options.disks ? "disk" : "flags"
        // Without sections BCC prints a histogram every interval, even an empty one.
        let shown = histograms.isEmpty && !options.disks && !options.flags && !options.containers
            ? [(section: String?.none, hist: Histogram(slots: [], total: 0), container: ContainerIdentity?.none)] : histograms
        for (section, hist, container) in shown {
            var members: [(String, JSONValue)] = [("timestamp", .string(now)), ("ts", .string(ts)), ("val_type", .string(options.unit)),
                                                  ("data", Log2Histogram(slots: hist.slots).jsonBuckets())]
            if options.containers {
                members += ContainerIdentity.jsonMembers(container)
            } else if let section {
                members.append((sectionKey, .string(section)))
            }
            out.writeLine(JSONValue.object(members).serialized)
        }
    }
}
