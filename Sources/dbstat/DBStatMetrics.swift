import BPFEvents
import LoaderCore

/// dbstat's metrics for --prometheus: the kernel's cumulative histogram in seconds, labelled by
/// engine (and with --containers by the server's container: one histogram per cgroup).
final class DBStatMetrics: @unchecked Sendable {
    private let hist: BPFMap
    private let engine: String
    private let names: ContainerNames?

    init(hist: BPFMap, engine: String, containers: Bool) {
        (self.hist, self.engine, names) = (hist, engine, containers ? ContainerNames() : nil)
    }

    func families() -> [MetricFamily] {
        let entries = ((try? hist.entries(UInt64.self, dbstat_hist.self)) ?? []).sorted { $0.0 < $1.0 }
        let histograms = entries.map { key, value in
            var raw = value
            let slots = withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) }
            let container = names.map { [("container", $0.name(key))] } ?? []
            return MetricFamily.HistogramSample(labels: [("engine", engine)] + container,
                                                buckets: Log2Buckets.buckets(slots: slots, unitSeconds: 1e-6),
                                                count: slots.reduce(0, &+), sum: Double(value.total_ns) / 1e9)
        }
        return [MetricFamily("dbstat_query_latency_seconds", help: "Query latency histogram (dbstat; queries slower than -m)",
                             kind: .histogram, histograms: histograms)]
    }
}
