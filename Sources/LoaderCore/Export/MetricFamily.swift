/// Metrics in the Prometheus text exposition format (version 0.0.4, which Prometheus and
/// OpenMetrics scrapers read): families of counters, gauges and histograms with labels.
///
/// Written here rather than with swift-prometheus: that library's histograms record values one
/// by one, while these tools' histograms arrive already bucketed by the kernel (log2 slots and
/// their counts), which its API cannot take.
public struct MetricFamily: Sendable {
    public enum Kind: String, Sendable { case counter, gauge, histogram }

    public struct Sample: Sendable {
        public let labels: [(String, String)]
        public let value: Double

        public init(_ labels: [(String, String)] = [], _ value: Double) {
            self.labels = labels
            self.value = value
        }
    }

    public struct HistogramSample: Sendable {
        public let labels: [(String, String)]
        /// Upper bounds (inclusive) with the count of observations at or below each, ascending.
        public let buckets: [(le: Double, cumulative: UInt64)]
        public let count: UInt64
        public let sum: Double

        public init(labels: [(String, String)], buckets: [(le: Double, cumulative: UInt64)], count: UInt64, sum: Double) {
            (self.labels, self.buckets, self.count, self.sum) = (labels, buckets, count, sum)
        }
    }

    public let name: String
    public let help: String
    public let kind: Kind
    public let samples: [Sample]
    public let histograms: [HistogramSample]

    public init(_ name: String, help: String, kind: Kind, samples: [Sample] = [], histograms: [HistogramSample] = []) {
        (self.name, self.help, self.kind, self.samples, self.histograms) = (name, help, kind, samples, histograms)
    }

    /// The family as exposition text: HELP, TYPE, then one line per series.
    public var text: String {
        var out = "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        for sample in samples {
            out += "\(name)\(Self.labels(sample.labels)) \(Self.number(sample.value))\n"
        }
        for h in histograms {
            for bucket in h.buckets {
                out += "\(name)_bucket\(Self.labels(h.labels + [("le", Self.number(bucket.le))])) \(bucket.cumulative)\n"
            }
            out += "\(name)_bucket\(Self.labels(h.labels + [("le", "+Inf")])) \(h.count)\n"
            out += "\(name)_sum\(Self.labels(h.labels)) \(Self.number(h.sum))\n"
            out += "\(name)_count\(Self.labels(h.labels)) \(h.count)\n"
        }
        return out
    }

    static func labels(_ labels: [(String, String)]) -> String {
        labels.isEmpty ? "" : "{" + labels.map { "\($0.0)=\"\(escapeLabel($0.1))\"" }.joined(separator: ",") + "}"
    }

    /// Label values: backslash and double quote escaped; control characters (a process name
    /// may hold any, newlines included) escaped first as TerminalText does, so a value stays
    /// one line.
    static func escapeLabel(_ value: String) -> String {
        escape(TerminalText.escaped(value), ["\\": "\\\\", "\"": "\\\""])
    }

    /// HELP text: backslash and newline escaped, as the format asks.
    static func escapeHelp(_ text: String) -> String {
        escape(text, ["\\": "\\\\", "\n": "\\n"])
    }

    private static func escape(_ text: String, _ replacements: [Character: String]) -> String {
        var out = ""
        for c in text {
            if let replacement = replacements[c] { out += replacement } else { out.append(c) }
        }
        return out
    }

    /// Integers without a fraction, others in Swift's shortest round-trip form ("1e-06").
    static func number(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

/// Label values past a limit of distinct ones are counted under "other": a label taken from
/// events (a command name, a port) cannot grow the number of series without bound.
public struct BoundedLabels: Sendable {
    public let limit: Int
    private var seen: Set<String> = []
    /// Events whose value went to "other" because the limit was reached.
    public private(set) var overflowed: UInt64 = 0

    public init(limit: Int) { self.limit = limit }

    public mutating func value(_ raw: String) -> String {
        if seen.contains(raw) { return raw }
        if seen.count < limit {
            seen.insert(raw)
            return raw
        }
        overflowed &+= 1
        return "other"
    }
}

/// A value handed to the metrics server's thread that only that thread uses after (a BPF map
/// handle: its reads are system calls).
public struct UncheckedSendable<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
