import BPFEvents
import LoaderCore

/// runqlat's metrics for --prometheus: the kernel's cumulative histogram read at each scrape,
/// in seconds, named as cloudflare/ebpf_exporter's runqlat example exports it
/// (ebpf_exporter_run_queue_latency_seconds); with --pidnss one per PID namespace (label pidns).
final class RunqlatMetrics: @unchecked Sendable {
    private let hists: BPFMap
    private let perNamespace: Bool

    init(hists: BPFMap, perNamespace: Bool) {
        self.hists = hists
        self.perNamespace = perNamespace
    }

    func families() -> [MetricFamily] {
        let entries = ((try? hists.entries(UInt32.self, runqlat_hist.self)) ?? []).sorted { $0.0 < $1.0 }
        let histograms = entries.map { key, value in
            var raw = value
            let slots = withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) }
            return MetricFamily.HistogramSample(labels: perNamespace ? [("pidns", String(key))] : [],
                                                buckets: Log2Buckets.buckets(slots: slots, unitSeconds: 1e-6),
                                                count: slots.reduce(0, &+), sum: Double(value.total) / 1e6)
        }
        return [MetricFamily("ebpf_exporter_run_queue_latency_seconds", help: "Run queue latency histogram (runqlat)",
                             kind: .histogram, histograms: histograms)]
    }
}
