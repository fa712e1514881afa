import CLibbpf
import Glibc

/// The metrics every exporting tool serves about itself: events it could not keep, its BPF
/// programs' run time (when the kernel counts it: sysctl kernel.bpf_stats_enabled=1), its own
/// CPU time and memory.
public struct SelfMetrics: @unchecked Sendable {
    private let tool: String
    private let programs: [(name: String, fd: Int32)]
    private let lost: LostCounter

    /// `loaded`'s programs must outlive every render (stop the server before dropping it).
    public init(tool: String, loaded: borrowing LoadedBPF) {
        self.tool = tool
        programs = loaded.loadedPrograms()
        lost = loaded.lostCounter()
    }

    public func families() -> [MetricFamily] {
        let labels = [("tool", tool)]
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        let cpu = Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
        var runTime: [MetricFamily.Sample] = [], runs: [MetricFamily.Sample] = []
        for program in programs {
            var info = bpf_prog_info()
            var size = UInt32(MemoryLayout<bpf_prog_info>.size)
            guard bpf_obj_get_info_by_fd(program.fd, &info, &size) == 0 else { continue }
            runTime.append(.init(labels + [("program", program.name)], Double(info.run_time_ns) / 1e9))
            runs.append(.init(labels + [("program", program.name)], Double(info.run_cnt)))
        }
        return [
            MetricFamily("swift_bpf_tools_lost_events_total", help: "Events the BPF side could not keep (a full ring buffer or map)",
                         kind: .counter, samples: [.init(labels, Double(lost.total()))]),
            MetricFamily("swift_bpf_tools_bpf_run_seconds_total",
                         help: "Time the tool's BPF programs ran (counted only while sysctl kernel.bpf_stats_enabled=1)",
                         kind: .counter, samples: runTime),
            MetricFamily("swift_bpf_tools_bpf_runs_total",
                         help: "Runs of the tool's BPF programs (counted only while sysctl kernel.bpf_stats_enabled=1)",
                         kind: .counter, samples: runs),
            MetricFamily("swift_bpf_tools_cpu_seconds_total", help: "CPU time of the tool itself (user and system)",
                         kind: .counter, samples: [.init(labels, cpu)]),
            MetricFamily("swift_bpf_tools_resident_memory_bytes", help: "Resident memory of the tool itself",
                         kind: .gauge, samples: [.init(labels, Double(Self.residentBytes()))]),
        ]
    }

    static func residentBytes() -> UInt64 {
        guard let statm = try? readFile("/proc/self/statm") else { return 0 }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return 0 }
        return pages &* UInt64(getpagesize())
    }
}
