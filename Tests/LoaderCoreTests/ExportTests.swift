import Testing
@testable import LoaderCore

/// The Prometheus exposition: families appear once, label values cannot break a line, and
/// counters stop growing new series at their limit.
struct ExportTests {
    @Test func hostileLabelValuesStayOnOneLine() {
        let family = MetricFamily("x_total", help: "a \\ help\nline", kind: .counter,
                                  samples: [.init([("comm", "evil\"}\nx_total 1e9\n\u{1b}[2J\\")], 1)])
        let lines = family.text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4, "\(lines)")  // HELP, TYPE, one sample, and the final newline
        #expect(lines[0] == "# HELP x_total a \\\\ help\\nline")
        // control characters as TerminalText shows them (\n, \x1b), then escaped for the format
        #expect(lines[2] == #"x_total{comm="evil\"}\\nx_total 1e9\\n\\x1b[2J\\"} 1"#, "\(lines[2])")
    }

    @Test func histogramBucketsAreCumulativeWithInfinityCountAndSum() {
        let buckets = Log2Buckets.buckets(slots: [0, 2, 0, 3], unitSeconds: 1e-6)
        #expect(buckets.count == 28)  // 2^0 .. 2^27 microseconds
        #expect(buckets[1].le == 2e-6 && buckets[1].cumulative == 2 && buckets[3].cumulative == 5 && buckets[27].cumulative == 5)
        let text = MetricFamily("h_seconds", help: "h", kind: .histogram,
                                histograms: [.init(labels: [("disk", "sda")], buckets: buckets, count: 5, sum: 0.5)]).text
        #expect(text.contains("h_seconds_bucket{disk=\"sda\",le=\"+Inf\"} 5\n"))
        #expect(text.contains("h_seconds_bucket{disk=\"sda\",le=\"134.217728\"} 5\n"))
        #expect(text.contains("h_seconds_sum{disk=\"sda\"} 0.5\nh_seconds_count{disk=\"sda\"} 5\n"))
    }

    @Test func countersShareOneAggregatedFamilyAndStopAtTheirLimit() {
        let a = EventCounter(name: "a_total", help: "a", labels: ["port"], tool: "t")
        let b = EventCounter(name: "b_total", help: "b", labels: [], tool: "t")
        for port in 0..<(EventCounter.maxSeries + 5) { a.add([String(port)]) }
        b.add([], by: 7)
        let families = EventCounter.families([a, b])
        #expect(Set(families.map(\.name)).count == families.count, "each family once: \(families.map(\.name))")
        let aFamily = families[0]
        #expect(aFamily.samples.count == EventCounter.maxSeries + 1)  // and "other"
        #expect(aFamily.samples.first { $0.labels.first?.1 == "other" }?.value == 5)
        let aggregated = families.last?.samples ?? []
        #expect(aggregated.map(\.value) == [5, 0])
        #expect(families[1].samples.first?.value == 7)
    }
}
