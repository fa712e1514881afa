/// What each log2 histogram of a map gained since the previous report (its slots, and any
/// running sums the tool keeps after them, such as biolatency's total latency). The BPF side only ever
/// adds; reading twice and subtracting loses nothing (BCC reads then clears the map, losing what
/// is counted in between). Keys that gained nothing since the previous report are dropped from
/// the map, so a table keyed by PID does not keep every process that ever ran.
public final class HistogramDeltas<Key: Hashable & BitwiseCopyable> {
    private var previous: [Key: [UInt64]] = [:]

    public init() {}

    /// The histograms that changed, with what they gained. With `map`, the others' keys are
    /// deleted from it (an increment racing with that delete is lost, as with BCC's clear()).
    public func next(_ current: [(Key, [UInt64])], map: BPFMap? = nil) -> [(key: Key, slots: [UInt64])] {
        var result: [(key: Key, slots: [UInt64])] = []
        var kept: [Key: [UInt64]] = [:]
        for (key, slots) in current {
            let before = previous[key]
            let delta = before.map { old in slots.indices.map { slots[$0] &- (($0 < old.count) ? old[$0] : 0) } } ?? slots
            if delta.contains(where: { $0 > 0 }) {
                result.append((key, delta))
                kept[key] = slots
            } else if let map {
                _ = map.delete(key)
            } else {
                kept[key] = slots
            }
        }
        previous = kept
        return result
    }
}
