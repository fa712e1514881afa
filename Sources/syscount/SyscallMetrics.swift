import BPFEvents
import LoaderCore

/// syscount's metrics for --prometheus: the kernel's per-CPU counts (and, with -L, times) per
/// system call, summed at each scrape.
final class SyscallMetrics: @unchecked Sendable {
    private let map: BPFMap
    private let latency: Bool

    init(map: BPFMap, latency: Bool) {
        self.map = map
        self.latency = latency
    }

    func families() -> [MetricFamily] {
        var calls: [MetricFamily.Sample] = [], seconds: [MetricFamily.Sample] = []
        for key in 0..<UInt32(SYSCOUNT_MAX_SYSCALLS) {
            guard let perCPU = try? map.lookupPerCPU(key, as: syscount_value.self) else { continue }
            let count = perCPU.reduce(UInt64(0)) { $0 &+ $1.count }
            guard count > 0 else { continue }
            let labels = [("syscall", SyscallNames.shared.name(Int(key)))]
            calls.append(.init(labels, Double(count)))
            if latency { seconds.append(.init(labels, Double(perCPU.reduce(UInt64(0)) { $0 &+ $1.total_ns }) / 1e9)) }
        }
        var families = [MetricFamily("syscount_calls_total", help: "System calls by name (only failed ones with -x, only -e's error with -e)",
                                     kind: .counter, samples: calls)]
        if latency {
            families.append(MetricFamily("syscount_call_seconds_total", help: "Time spent in system calls, by name (-L)",
                                         kind: .counter, samples: seconds))
        }
        return families
    }
}
