/// BCC's power-of-two histogram (`bcc.table._print_log2_hist` and `_print_json_hist`), exactly:
/// slot i >= 1 counts values in [2^(i-1), 2^i - 1] (slot 1 is printed "0 -> 1"), as filled by
/// the BPF side's log2l(value) + 1.
public struct Log2Histogram: Sendable, Equatable {
    /// Counts by slot; slot 0 is never printed (BCC starts at 1).
    public var slots: [UInt64]

    public init(slots: [UInt64]) {
        self.slots = slots
    }

    /// The highest slot with a count, or nil if the histogram is empty.
    var highestSlot: Int? { slots.lastIndex { $0 > 0 } }

    /// The text lines BCC prints: nothing at all for an empty histogram, the narrow layout up to
    /// slot 32, the wide one beyond.
    public func lines(unit: String, stripLeadingZero: Bool = false) -> [String] {
        guard let top = highestSlot, top > 0 else { return [] }
        let valueMax = slots.max() ?? 0
        let wide = top > 32
        let width = wide ? 20 : 40
        let header = wide ? PyFormat("               %-29s : count     distribution")
                          : PyFormat("     %-19s : count     distribution")
        let body = wide ? PyFormat("%20d -> %-20d : %-8d |") : PyFormat("%10d -> %-10d : %-8d |")
        var result = [header(.text(unit))]
        var skipping = stripLeadingZero
        for slot in 1...top {
            let (low, high) = Self.range(slot)
            let count = slot < slots.count ? slots[slot] : 0
            if skipping && count == 0 { continue }
            skipping = false
            let stars = Self.stars(count, max: valueMax, width: width)
            result.append(body(.int(Int64(low)), .int(Int64(high)), .int(Int64(count)))
                          + stars + String(repeating: " ", count: width - stars.count) + "|")
        }
        return result
    }

    /// The `data` list of BCC's JSON histogram: one object per slot from 1 to the highest.
    public func jsonBuckets() -> JSONValue {
        guard let top = highestSlot, top > 0 else { return .array([]) }
        return .array((1...top).map { slot in
            let (low, high) = Self.range(slot)
            return .object([("interval_start", .int(Int64(low))), ("interval_end", .int(Int64(high))),
                            ("count", .int(Int64(slot < slots.count ? slots[slot] : 0)))])
        })
    }

    /// Slot i covers [2^(i-1), 2^i - 1]; slot 1 is shown as 0 -> 1 (it also holds 0).
    static func range(_ slot: Int) -> (UInt64, UInt64) {
        let high = slot >= 64 ? UInt64.max : (UInt64(1) << UInt64(slot)) - 1
        let low = (UInt64(1) << UInt64(slot - 1))
        return slot == 1 ? (0, 1) : (low, high)
    }

    /// floor(width * count / max) stars, at most `width` (BCC's `_stars`).
    static func stars(_ count: UInt64, max: UInt64, width: Int) -> String {
        guard max > 0 else { return "" }
        let n = min(width, Int(Double(width) * Double(count) / Double(max)))
        return String(repeating: "*", count: n)
    }
}
