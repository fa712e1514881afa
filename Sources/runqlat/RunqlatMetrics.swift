import BPFEvents
import LoaderCore

/// runqlat's metrics for --prometheus: the kernel's cumulative histogram read at each scrape,
/// in seconds, named as cloudflare/ebpf_exporter's runqlat example exports it
/// (ebpf_exporter_run_queue_latency_seconds); with --pidnss one per PID namespace (label pidns),
/// with --containers one per container (label container: its short ID, else its unit).
final class RunqlatMetrics: @unchecked Sendable {
    private let hists: BPFMap
    private let label: String?
    private let names = ContainerNames()

    init(hists: BPFMap, label: String?) {
        self.hists = hists
        self.label = label
    }

    private func labelValue(_ key: UInt64) -> String {
        label == "container" ? names.name(key) : String(key)
    }

    func families() -> [MetricFamily] {
        let entries = ((try? hists.entries(UInt64.self, runqlat_hist.self)) ?? []).sorted { $0.0 < $1.0 }
        let histograms = entries.map { key, value in
            var raw = value
            let slots = withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) }
            return MetricFamily.HistogramSample(labels: label.map { [($0, labelValue(key))] } ?? [],
                                                buckets: Log2Buckets.buckets(slots: slots, unitSeconds: 1e-6),
                                                count: slots.reduce(0, &+), sum: Double(value.total) / 1e6)
        }
        return [MetricFamily("ebpf_exporter_run_queue_latency_seconds", help: "Run queue latency histogram (runqlat)",
                             kind: .histogram, histograms: histograms)]
    }
}
