import CLibbpf
import Glibc

/// The perf events a sampling program can run on, by perf's names.
public enum PerfEventType: Sendable, Equatable {
    /// CPU cycles (hardware PMU): samples where the CPU spends its cycles.
    case cpuCycles
    /// The CPU clock (software timer): works without a PMU, in VMs too.
    case cpuClock

    public var name: String {
        switch self {
        case .cpuCycles: "cpu-cycles"
        case .cpuClock: "cpu-clock"
        }
    }

    var typeAndConfig: (UInt32, UInt64) {
        switch self {
        case .cpuCycles: (UInt32(PERF_TYPE_HARDWARE.rawValue), UInt64(PERF_COUNT_HW_CPU_CYCLES.rawValue))
        case .cpuClock: (UInt32(PERF_TYPE_SOFTWARE.rawValue), UInt64(PERF_COUNT_SW_CPU_CLOCK.rawValue))
        }
    }
}

/// How often a perf-event program samples, and on which CPUs.
public struct PerfSampling: Sendable, Equatable {
    public enum Rate: Sendable, Equatable {
        case frequency(UInt64)  /// samples per second on each CPU
        case period(UInt64)     /// one sample every this many events
    }

    public let rate: Rate
    public let cpus: [Int32]

    public init(rate: Rate, cpus: [Int32]) {
        self.rate = rate
        self.cpus = cpus
    }

    /// The highest sampling frequency the kernel allows now (kernel.perf_event_max_sample_rate,
    /// which the kernel itself lowers when sampling takes too long); higher ones fail to open.
    public static func maxFrequency() -> Int {
        (try? readFile("/proc/sys/kernel/perf_event_max_sample_rate")).flatMap { Int($0.trimmed) } ?? 100_000
    }

    /// The CPUs that are online now (/sys/devices/system/cpu/online, e.g. "0-3,6").
    public static func onlineCPUs() -> [Int32] {
        let text = (try? readFile("/sys/devices/system/cpu/online")) ?? "0"
        var cpus: [Int32] = []
        for range in text.trimmed.split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { Int32($0) }
            if let first = ends.first { cpus += Array(first...(ends.last ?? first)) }
        }
        return cpus
    }

    /// Opens the event on one CPU; the fd, or a negative errno.
    func open(_ type: PerfEventType, cpu: Int32) -> Int32 {
        let (kind, config) = type.typeAndConfig
        switch rate {
        case .frequency(let hz): return clibbpf_open_sampling_event(kind, config, hz, 0, cpu)
        case .period(let n): return clibbpf_open_sampling_event(kind, config, 0, n, cpu)
        }
    }

    /// Whether this kernel and machine can count `type` at all (no PMU in most VMs).
    static func unsupportedReason(_ type: PerfEventType) -> String? {
        let fd = PerfSampling(rate: .frequency(1), cpus: []).open(type, cpu: onlineCPUs().first ?? 0)
        guard fd >= 0 else {
            return type == .cpuCycles && (fd == -ENOENT || fd == -EOPNOTSUPP)
                ? "no hardware performance counters" : "perf_event_open: \(String(cString: strerror(-fd)))"
        }
        close(fd)
        return nil
    }
}
