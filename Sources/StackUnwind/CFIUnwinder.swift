import Glibc
import LoaderCore

/// Unwinds user stacks that the kernel copied with each sample, with the CFI (`.eh_frame`, or
/// `.debug_frame` from an installed debug file) of the binaries each process maps, through
/// elfutils' libdwfl, as perf's `--call-graph dwarf` does. Debian's binaries and libraries are
/// built without frame pointers, so the kernel's frame-pointer walk loses their callers.
///
/// One libdwfl session per process, kept while the process is sampled: a process seen again
/// reuses the CFI already parsed. Sessions of processes gone are dropped every second, and the
/// least recently used when there are too many. What a session parsed counts in our RSS until
/// it goes: with a new process every 30 ms (a shell loop), pruning every 5 s let profile's RSS
/// at 4999 Hz climb to 206 MB (with files mapped per session then; see SharedELFFiles).
public final class CFIUnwinder {
    private var processes: [UInt32: ProcessUnwinder] = [:]
    /// The ELF files the sessions read, each opened once.
    private let files = SharedELFFiles()
    /// Processes whose session could not be made (gone, or no file mapped), until the next prune.
    private var failed: Set<UInt32> = []
    private var nextPrune: UInt64 = 0
    private let maxDepth: Int
    private let report: (String) -> Void

    public static let maxProcesses = 256
    static let pruneInterval: UInt64 = 1_000_000_000

    /// `report` gets one line per process when its session is made (profile prints them with -v).
    public init(maxDepth: Int, report: @escaping (String) -> Void = { _ in }) {
        self.maxDepth = maxDepth
        self.report = report
        // each session keeps a descriptor per file its process maps: allow what the hard limit does
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 && limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    /// The return addresses of the sample's user stack, innermost first; empty when the process
    /// cannot be unwound (gone before its sample was read).
    public func unwind(pid: UInt32, tid: UInt32, _ context: UserContext) -> [UInt64] {
        let now = Clock.monotonicNs()
        if now >= nextPrune { prune(now) }
        guard var process = session(pid, now) else { return [] }
        // a library loaded since, or a new program after exec: look at the mappings again
        if !process.covers(context.pc), now &- process.built >= 1_000_000_000,
           let rebuilt = ProcessUnwinder(pid: pid, now: now, files: files) {
            processes[pid] = rebuilt
            process = rebuilt
        }
        process.lastUsed = now
        return process.unwind(tid: tid, context, maxDepth: maxDepth)
    }

    /// The program of a process unwound, as it sees the path (for reports per binary).
    public func executable(pid: UInt32) -> String? { processes[pid]?.executable ?? ended[pid] }

    /// The programs of the sessions `endSessions` dropped.
    private var ended: [UInt32: String] = [:]

    /// Drops every session and the files they read, keeping only each process's program:
    /// what was parsed for unwinding (the CFI of every library of every process sampled) is of
    /// no use to the report that follows the last sample, and is freed before it runs.
    public func endSessions() {
        for (pid, process) in processes { ended[pid] = process.executable }
        processes = [:]
        failed = []
    }

    private func session(_ pid: UInt32, _ now: UInt64) -> ProcessUnwinder? {
        if let known = processes[pid] { return known }
        if failed.contains(pid) { return nil }
        if processes.count >= Self.maxProcesses, let oldest = processes.values.min(by: { $0.lastUsed < $1.lastUsed }) {
            processes[oldest.pid] = nil
        }
        guard let process = ProcessUnwinder(pid: pid, now: now, files: files) else {
            failed.insert(pid)
            return nil
        }
        processes[pid] = process
        report("PID \(pid): unwinding with the CFI of \(process.modules.count) files (\(process.executable ?? "?"))")
        return process
    }

    /// Drops the sessions of processes that have exited (a PID reused later gets a new one).
    private func prune(_ now: UInt64) {
        nextPrune = now &+ Self.pruneInterval
        for pid in processes.keys where !pathExists("/proc/\(pid)") { processes[pid] = nil }
        failed.removeAll()
    }
}
