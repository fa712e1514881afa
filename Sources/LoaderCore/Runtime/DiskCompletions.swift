/// The kernel's own count of completed I/Os (/proc/diskstats), to check a tool that counts
/// completions through the block tracepoints against it.
///
/// Why: on this project's 6.18 VM the kernel occasionally does not run a program attached to
/// block_rq_issue or block_rq_complete (measured: 1-2 of 50,000 O_DIRECT reads of a loop device
/// in about a third of runs; the program's run count one short of the kernel's completed reads,
/// `recursion_misses` 0), and classic tracepoints match requests by sector, so two in flight on
/// the same sector meet one slot. Nothing in the tool sees such an I/O; the kernel's accounting
/// does, so the difference is reported instead of silently missing from the histograms.
///
/// What may legitimately differ is bounded: I/Os in flight when the baseline is read (started
/// before the programs were attached) are subtracted; I/Os the tool already reported lost are
/// subtracted by the caller. Only devices that carry requests (blk-mq disks, or the one device
/// the tool filters on) are summed: bio-based devices (device-mapper, md) are accounted without
/// ever passing the request tracepoints.
public final class DiskCompletions {
    /// Completed reads + writes + discards, and I/Os in flight, per device.
    struct Counts: Equatable {
        var completed: UInt64
        var inFlight: UInt64
    }

    private let path: String
    /// The BPF side's count of completions it saw but does not show (`completions_not_shown`,
    /// bpf-src/block.bpf.h): the kernel counts them too.
    private let notShown: BPFMap?
    private let selected: (_ major: UInt32, _ minor: UInt32) -> Bool
    private var baseline: [UInt64: Counts] = [:]
    /// Completions already reported unseen.
    private var reported: UInt64 = 0

    /// Devices the request tracepoints see: `only` (a disk or partition a tool filters on), or
    /// every blk-mq disk. `loaded`: the tool's BPF object, whose `completions_not_shown` it reads.
    public convenience init(only device: BlockDevice?, loaded: borrowing LoadedBPF) throws(BPFError) {
        let notShown = try loaded.map("completions_not_shown")
        if let device {
            self.init(diskstats: "/proc/diskstats", notShown: notShown) { major, minor in major == device.major && minor == device.minor }
        } else {
            var requestBased: [UInt64: Bool] = [:]
            self.init(diskstats: "/proc/diskstats", notShown: notShown) { major, minor in
                let key = UInt64(major) << 32 | UInt64(minor)
                if let known = requestBased[key] { return known }
                let mq = pathExists("/sys/dev/block/\(major):\(minor)/mq")
                requestBased[key] = mq
                return mq
            }
        }
    }

    /// Reads the baseline now: create it after the programs are attached.
    init(diskstats: String, notShown: BPFMap? = nil, selecting: @escaping (_ major: UInt32, _ minor: UInt32) -> Bool) {
        path = diskstats
        self.notShown = notShown
        selected = selecting
        baseline = read()
    }

    /// Why I/Os the kernel completed are missing from what a tool shows, as the tools say it.
    public static let unseenReason = "(the tracepoints did not show both their start and their completion)"

    /// The kernel's counts at one moment.
    public struct Snapshot {
        let devices: [UInt64: Counts]
    }

    /// Read the kernel's counts before the tool's own.
    public func snapshot() -> Snapshot { Snapshot(devices: read()) }

    /// Completions the kernel accounted since the baseline that neither `counted` (all the tool
    /// counted since it started), `lost` (those it reported lost) nor those its BPF side saw but
    /// does not show explain, beyond the I/Os in flight at the baseline; only what an earlier
    /// call did not return. `now` must be taken before the tool reads its own count: an I/O
    /// completing in between is then counted by the tool only, never by the kernel only.
    public func newlyUnseen(_ now: Snapshot, counted: UInt64, lost: UInt64) -> UInt64 {
        var kernel: UInt64 = 0
        for (device, counts) in now.devices {
            let before = baseline[device] ?? Counts(completed: 0, inFlight: 0)
            // A device that went away and came back with the same numbers starts again from 0.
            let completed = counts.completed >= before.completed ? counts.completed - before.completed : counts.completed
            let (beyond, under) = completed.subtractingReportingOverflow(before.inFlight)
            if !under { kernel &+= beyond }
        }
        let seenNotShown = (try? notShown?.lookupPerCPU(UInt32(0), as: UInt64.self))??.reduce(0, &+) ?? 0
        let explained = counted &+ lost &+ seenNotShown
        let unseen = kernel > explained ? kernel - explained : 0
        defer { reported = max(reported, unseen) }
        return unseen > reported ? unseen - reported : 0
    }

    /// /proc/diskstats: "major minor name" then reads completed (1st), writes completed (5th),
    /// I/Os in progress (9th) and discards completed (12th, 4.18+). Not flushes completed (16th):
    /// an fsync's empty flush write is counted there once (the flush request the block layer
    /// issues for it) and once more among the writes (the write itself, completed when the flush
    /// is, without being issued); the tracepoints show one request (measured: 10 fsyncs on ext4
    /// on a virtio disk with a write-back cache, 10 flushes and 10 more writes counted).
    func read() -> [UInt64: Counts] {
        guard let text = try? readFile(path) else { return [:] }
        var result: [UInt64: Counts] = [:]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 12, let major = UInt32(fields[0]), let minor = UInt32(fields[1]),
                  selected(major, minor) else { continue }
            func field(_ index: Int) -> UInt64 { index + 2 < fields.count ? UInt64(fields[index + 2]) ?? 0 : 0 }
            let completed = field(1) &+ field(5) &+ field(12)
            result[UInt64(major) << 32 | UInt64(minor)] = Counts(completed: completed, inFlight: field(9))
        }
        return result
    }
}
