import BPFEvents
import LoaderCore

/// One interval's histogram, as BCC's dbstat prints it: the time, the histogram, a blank line.
/// The kernel's counts are cumulative; each report shows what came since the last one (BCC
/// clears the table instead, losing what arrives between its read and its clear).
final class DBStatReport {
    private let hist: BPFMap
    private let deltas = HistogramDeltas<UInt32>()
    private let unit: String
    private let json: Bool
    private let lost: LostCounter

    init(hist: BPFMap, lost: LostCounter, unit: String, json: Bool) {
        (self.hist, self.lost, self.unit, self.json) = (hist, lost, unit, json)
    }

    func print() throws(BPFError) {
        var raw = try hist.lookup(UInt32(0), as: dbstat_hist.self) ?? dbstat_hist()
        let slots = withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) }
        let histogram = Log2Histogram(slots: deltas.next([(UInt32(0), slots)]).first?.slots ?? [])
        let out = OutputSink.stdout
        if json {
            out.writeLine(JSONValue.object([("timestamp", .string(Clock.timestamp())), ("ts", .string(Clock.localTime("%Y-%m-%d %H:%M:%S"))),
                                            ("val_type", .string(unit == "us" ? "usecs" : "msecs")),
                                            ("data", histogram.jsonBuckets())]).serialized)
        } else {
            out.writeLine("[\(Clock.localTime())]")
            for line in histogram.lines(unit: "query latency (\(unit))") { out.writeLine(line) }
            out.writeLine("")
        }
        let missed = lost.newlyLost()
        if missed > 0 { Diagnostics.line("dbstat: \(missed) queries were not counted (more queries in progress at once than the table holds)") }
    }
}
