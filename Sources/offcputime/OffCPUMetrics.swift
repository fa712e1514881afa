import BPFEvents
import Glibc
import LoaderCore

/// offcputime's metrics for --prometheus: time spent off CPU by command name, from the
/// kernel's per-thread totals (no stacks are recorded in this mode). Threads that have exited
/// are folded into a running total per name and their entries deleted (nothing adds to them
/// any more), so a long run does not fill the table with the dead.
final class OffCPUMetrics: @unchecked Sendable {
    private let counts: BPFMap
    /// Microseconds of threads gone, by labels; used by one render at a time.
    private var retired: [[String]: UInt64] = [:]
    /// --containers: a label container too.
    private let names: ContainerNames?

    init(counts: BPFMap, containers: Bool) {
        self.counts = counts
        names = containers ? ContainerNames() : nil
    }

    func families() -> [MetricFamily] {
        var totals = retired
        for (key, microseconds) in (try? counts.entries(offcputime_key.self, UInt64.self)) ?? [] {
            let labels = [KernelString.from(tuple: key.comm)] + (names.map { [$0.name(key.cgroup_id)] } ?? [])
            totals[labels, default: 0] &+= microseconds
            if kill(pid_t(bitPattern: key.tgid), 0) != 0 && errno == ESRCH
                || !pathExists("/proc/\(key.tgid)/task/\(key.pid)") {
                if counts.delete(key) { retired[labels, default: 0] &+= microseconds }
            }
        }
        let names = ["comm"] + (self.names == nil ? [] : ["container"])
        let samples = totals.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map {
            MetricFamily.Sample(Array(zip(names, $0.key)), Double($0.value) / 1e6)
        }
        return [MetricFamily("offcputime_seconds_total", help: "Time threads spent off CPU, by command name (offcputime's filters apply)",
                             kind: .counter, samples: samples)]
    }
}
