import BPFEvents
import LoaderCore

/// biolatency's metrics for --prometheus: the kernel's cumulative histograms (keyed by disk and
/// request flags) read at each scrape, summed per disk and operation, in seconds. Named and
/// labelled as cloudflare/ebpf_exporter's biolatency example exports them
/// (ebpf_exporter_bio_latency_seconds{device, operation}), so dashboards built for it work.
final class LatencyMetrics: @unchecked Sendable {
    private let hists: BPFMap
    /// Used only from the metrics server's thread.
    private let devices = BlockDevices()

    /// --containers: a label container too.
    private let names: ContainerNames?

    init(hists: BPFMap, containers: Bool) {
        self.hists = hists
        names = containers ? ContainerNames() : nil
    }

    static let operations: [UInt32: String] = [
        UInt32(BIOLATENCY_OP_READ): "read", UInt32(BIOLATENCY_OP_WRITE): "write",
        UInt32(BIOLATENCY_OP_FLUSH): "flush", UInt32(BIOLATENCY_OP_DISCARD): "discard",
        UInt32(BIOLATENCY_OP_SECURE_ERASE): "secure_erase", UInt32(BIOLATENCY_OP_ZONE_RESET): "zone_reset",
        UInt32(BIOLATENCY_OP_WRITE_SAME): "write_same", UInt32(BIOLATENCY_OP_WRITE_ZEROES): "write_zeroes",
    ]

    func families() -> [MetricFamily] {
        struct Series: Hashable { let device: String; let operation: String; let container: String? }
        var slots: [Series: [UInt64]] = [:], totals: [Series: UInt64] = [:]
        for (key, value) in (try? hists.entries(biolatency_key.self, biolatency_hist.self)) ?? [] {
            let series = Series(device: devices.name(ofKernelDev: key.dev), operation: Self.operations[key.flags & 0xff] ?? "other",
                                container: names.map { $0.name(key.cgroup_id) })
            let hist = LatencyReport.Histogram(value)
            slots[series] = zip(slots[series] ?? Array(repeating: 0, count: hist.slots.count), hist.slots).map { $0 &+ $1 }
            totals[series, default: 0] &+= hist.total
        }
        let histograms = slots.sorted {
            ($0.key.device, $0.key.operation, $0.key.container ?? "") < ($1.key.device, $1.key.operation, $1.key.container ?? "")
        }.map { series, slots in
            MetricFamily.HistogramSample(labels: [("device", series.device), ("operation", series.operation)]
                                            + (series.container.map { [("container", $0)] } ?? []),
                                         buckets: Log2Buckets.buckets(slots: slots, unitSeconds: 1e-6),
                                         count: slots.reduce(0, &+), sum: Double(totals[series] ?? 0) / 1e6)
        }
        return [MetricFamily("ebpf_exporter_bio_latency_seconds", help: "Block I/O latency histogram (biolatency)",
                             kind: .histogram, histograms: histograms)]
    }
}
