import BPFEvents
import LoaderCore

/// One interval's histograms, printed as BCC's runqlat prints them (or as JSON lines).
final class RunqlatReport {
    private let hists: BPFMap
    private let lost: LostCounter
    private let deltas = HistogramDeltas<UInt64>()
    private let names = ContainerNames()
    private let unit: String
    private let section: String?
    private let timestamp, json: Bool

    init(hists: BPFMap, lost: LostCounter, options: RunqLat) {
        self.hists = hists
        self.lost = lost
        (unit, section, timestamp, json) = (options.unit, options.keyBy.section, options.timestamp, options.common.json)
    }

    func print() throws(BPFError) {
        let current = try hists.entries(UInt64.self, runqlat_hist.self).map { key, value in
            var raw = value
            return (key, withUnsafeBytes(of: &raw.slots) { Array($0.bindMemory(to: UInt64.self)) })
        }
        // without sections the one histogram stays; per PID, idle PIDs' histograms are dropped
        let histograms = deltas.next(current, map: section == nil ? nil : hists).sorted { $0.key < $1.key }
        let out = OutputSink.stdout
        if json {
            let ts = Clock.localTime("%Y-%m-%d %H:%M:%S"), now = Clock.timestamp()
            // without sections BCC prints a histogram every interval, even an empty one
            let shown = histograms.isEmpty && section == nil ? [(key: UInt64(0), slots: [UInt64]())] : histograms
            for (key, slots) in shown {
                var members: [(String, JSONValue)] = [("timestamp", .string(now)), ("ts", .string(ts)), ("val_type", .string(unit)),
                                                      ("data", Log2Histogram(slots: slots).jsonBuckets())]
                if section == "container" {
                    members += ContainerIdentity.jsonMembers(names.identity(key))
                } else if let section {
                    members.append((section, .int(Int64(truncatingIfNeeded: key))))
                }
                out.writeLine(JSONValue.object(members).serialized)
            }
        } else {
            out.writeLine("")
            if timestamp { out.writeLine(PyFormat("%-8s")(.text(Clock.localTime()))) }
            for (key, slots) in histograms {
                if section == "container" {
                    out.writeLine("\ncontainer = \(TerminalText.escaped(names.name(key)))")
                } else if let section {
                    out.writeLine("\n\(section) = \(key)")
                }
                for line in Log2Histogram(slots: slots).lines(unit: unit) { out.writeLine(line) }
            }
        }
        let missed = lost.newlyLost()
        if missed > 0 { Diagnostics.line("runqlat: \(missed) latencies were not counted (more \(section ?? "histograms") than the table holds)") }
    }
}
