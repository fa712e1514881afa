import Synchronization

/// A counter family a streaming tool adds to per event (--prometheus), with labels taken from
/// the event. The event loop adds; the metrics server's thread renders: under a lock.
///
/// At most `maxSeries` label sets: events that would make a new one past that are counted
/// under labels all "other", and those are counted in
/// swift_bpf_tools_aggregated_events_total, so that event-chosen labels (a command name, a
/// port) cannot grow the exposition without bound.
public final class EventCounter: Sendable {
    /// 10,000: what the benchmark measures a scrape against (see scripts/bench.py, export).
    public static let maxSeries = 10_000

    private struct State {
        var counts: [[String]: UInt64] = [:]
        var aggregated: UInt64 = 0
    }

    public let name: String
    public let help: String
    public let labels: [String]
    /// What one unit added is worth in the exposition (1e-9: nanoseconds added, seconds shown).
    public let scale: Double
    private let tool: String
    private let state = Mutex(State())

    public init(name: String, help: String, labels: [String], tool: String, scale: Double = 1) {
        (self.name, self.help, self.labels, self.tool, self.scale) = (name, help, labels, tool, scale)
    }

    public func add(_ values: [String], by amount: UInt64 = 1) {
        state.withLock { state in
            if state.counts[values] == nil && state.counts.count >= Self.maxSeries {
                state.aggregated &+= 1
                state.counts[Array(repeating: "other", count: labels.count), default: 0] &+= amount
            } else {
                state.counts[values, default: 0] &+= amount
            }
        }
    }

    /// The counter's family.
    public func family() -> MetricFamily {
        let counts = state.withLock { $0.counts }
        let samples = counts.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map { values, count in
            MetricFamily.Sample(Array(zip(labels, values)), Double(count) * scale)
        }
        return MetricFamily(name, help: help, kind: .counter, samples: samples)
    }

    /// The families of `counters`, and one swift_bpf_tools_aggregated_events_total for them
    /// all (a family may appear once in an exposition).
    public static func families(_ counters: [EventCounter]) -> [MetricFamily] {
        counters.map { $0.family() } + [
            MetricFamily("swift_bpf_tools_aggregated_events_total",
                         help: "Events counted under labels \"other\": their own labels would have passed \(maxSeries) series",
                         kind: .counter, samples: counters.map { counter in
                .init([("tool", counter.tool), ("metric", counter.name)], Double(counter.state.withLock { $0.aggregated }))
            }),
        ]
    }
}

/// What a streaming tool counts per event with --prometheus: a counter named `name`, labelled
/// `labels` with the values `values` takes from the row, increased by `amount` (1: events).
public struct EventMetric<Row>: Sendable {
    public let name: String
    public let help: String
    public let labels: [String]
    public let values: @Sendable (Row, RowContext) -> [String]
    public let amount: @Sendable (Row) -> UInt64
    /// What one unit of `amount` is worth in the exposition (1e-9 for nanoseconds shown as seconds).
    public let scale: Double

    public init(_ name: String, help: String, labels: [String], values: @escaping @Sendable (Row, RowContext) -> [String],
                amount: @escaping @Sendable (Row) -> UInt64 = { _ in 1 }, scale: Double = 1) {
        (self.name, self.help, self.labels, self.values, self.amount, self.scale) = (name, help, labels, values, amount, scale)
    }
}
