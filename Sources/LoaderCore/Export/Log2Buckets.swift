/// BCC's log2 histogram slots as Prometheus buckets: slot i (i >= 1) counts values in
/// [2^(i-1), 2^i - 1] (slot 1 also 0), so every value in it is below 2^i, its bucket's upper
/// bound; in seconds with `unitSeconds` (1e-6 for microseconds). The bounds run from 2^0 to
/// 2^`through` units at least (ebpf_exporter's exp2 range, 2^27 us = 134 s, so that series keep
/// the same buckets whatever the data), further when a slot above holds counts.
public enum Log2Buckets {
    public static func buckets(slots: [UInt64], unitSeconds: Double, through: Int = 27) -> [(le: Double, cumulative: UInt64)] {
        let highest = slots.lastIndex { $0 > 0 } ?? 0
        var cumulative: UInt64 = 0
        var result: [(le: Double, cumulative: UInt64)] = []
        for i in 0...max(through, highest) {
            cumulative &+= i < slots.count ? slots[i] : 0
            result.append((le: Double(sign: .plus, exponent: i, significand: 1) * unitSeconds, cumulative: cumulative))
        }
        return result
    }
}
