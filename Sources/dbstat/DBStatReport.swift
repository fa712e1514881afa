import BPFEvents
import LoaderCore

/// One interval's histogram, as BCC's dbstat prints it: the time, the histogram, a blank line.
/// The kernel's counts are cumulative; each report shows what came since the last one (BCC
/// clears the table instead, losing what arrives between its read and its clear).
final class DBStatReport {
    private let hist: BPFMap
    private let deltas = HistogramDeltas<UInt64>()
    private let unit: String
    private let json: Bool
    private let lost: LostCounter
    /// --containers: a histogram per server cgroup, each under its container's name.
    private let names: ContainerNames?

    init(hist: BPFMap, lost: LostCounter, unit: String, json: Bool, containers: Bool) {
        (self.hist, self.lost, self.unit, self.json) = (hist, lost, unit, json)
        names = containers ? ContainerNames() : nil
    }

    func print() throws(BPFError) {
        let current = try hist.entries(UInt64.self, dbstat_hist.self).map { key, value in
            var raw = value
            return (key, withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) })
        }
        var histograms = deltas.next(current, map: names == nil ? nil : hist).sorted { $0.key < $1.key }
        // one histogram every interval, even an empty one, as BCC prints it
        if names == nil && histograms.isEmpty { histograms = [(key: 0, slots: [])] }
        let out = OutputSink.stdout
        if json {
            for (key, slots) in histograms {
                var members: [(String, JSONValue)] = [("timestamp", .string(Clock.timestamp())), ("ts", .string(Clock.localTime("%Y-%m-%d %H:%M:%S"))),
                                                      ("val_type", .string(unit == "us" ? "usecs" : "msecs")),
                                                      ("data", Log2Histogram(slots: slots).jsonBuckets())]
                if let names { members += ContainerIdentity.jsonMembers(names.identity(key)) }
                out.writeLine(JSONValue.object(members).serialized)
            }
        } else {
            out.writeLine("[\(Clock.localTime())]")
            for (key, slots) in histograms {
                if let names { out.writeLine("container = \(TerminalText.escaped(names.name(key)))") }
                for line in Log2Histogram(slots: slots).lines(unit: "query latency (\(unit))") { out.writeLine(line) }
                out.writeLine("")
            }
        }
        let missed = lost.newlyLost()
        if missed > 0 { Diagnostics.line("dbstat: \(missed) queries were not counted (more queries in progress at once, or more server cgroups, than the tables hold)") }
    }
}
