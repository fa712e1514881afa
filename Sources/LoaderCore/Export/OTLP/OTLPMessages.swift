/// OTLP's export requests (opentelemetry-proto v1: collector/logs and collector/metrics), as
/// protobuf bytes for OTLP/HTTP. Field numbers are the .proto files'; the test receiver decodes
/// what is written here with the official Python bindings.
public enum OTLPMessages {
    /// Who sends: the resource (host.name, service.name...) and the instrumentation scope.
    public struct Origin: Sendable {
        public let resource: [(String, JSONValue)]
        public let scopeName: String
        public let scopeVersion: String

        public init(resource: [(String, JSONValue)], scopeName: String, scopeVersion: String) {
            (self.resource, self.scopeName, self.scopeVersion) = (resource, scopeName, scopeVersion)
        }
    }

    /// One log record: an event (a row), its columns as attributes.
    public struct LogRecord: Sendable {
        public let timeUnixNano: UInt64
        public let observedUnixNano: UInt64
        public let eventName: String
        /// The row as the tool prints it.
        public let body: String
        public let attributes: [(String, JSONValue)]

        public init(timeUnixNano: UInt64, observedUnixNano: UInt64, eventName: String, body: String,
                    attributes: [(String, JSONValue)]) {
            (self.timeUnixNano, self.observedUnixNano, self.eventName, self.body, self.attributes) =
                (timeUnixNano, observedUnixNano, eventName, body, attributes)
        }
    }

    /// SeverityNumber INFO: an event is an observation, not a problem.
    static let severityInfo: UInt64 = 9
    /// AggregationTemporality CUMULATIVE: every export carries totals since `startUnixNano`, so
    /// one that is lost costs resolution, not counts.
    static let cumulative: UInt64 = 2

    /// ExportLogsServiceRequest with one ResourceLogs and one ScopeLogs holding `records`.
    public static func logsRequest(_ origin: Origin, _ records: [LogRecord]) -> [UInt8] {
        var request = ProtobufWriter()
        request.message(1) { resourceLogs in
            resourceLogs.message(1) { resource(&$0, origin) }
            resourceLogs.message(2) { scopeLogs in
                scopeLogs.message(1) { scope(&$0, origin) }
                for record in records {
                    scopeLogs.message(2) { log in
                        log.fixed64(1, record.timeUnixNano)
                        log.uint(2, severityInfo)
                        log.string(3, "INFO")
                        log.message(5) { anyValue(&$0, .string(record.body)) }
                        attributes(&log, 6, record.attributes)
                        log.fixed64(11, record.observedUnixNano)
                        log.string(12, record.eventName)
                    }
                }
            }
        }
        return request.bytes
    }

    /// ExportMetricsServiceRequest with `families` (counters as monotonic cumulative sums,
    /// gauges, histograms with explicit bounds: the Prometheus buckets' upper bounds).
    public static func metricsRequest(_ origin: Origin, _ families: [MetricFamily], startUnixNano: UInt64, nowUnixNano: UInt64) -> [UInt8] {
        var request = ProtobufWriter()
        request.message(1) { resourceMetrics in
            resourceMetrics.message(1) { resource(&$0, origin) }
            resourceMetrics.message(2) { scopeMetrics in
                scopeMetrics.message(1) { scope(&$0, origin) }
                for family in families where !(family.samples.isEmpty && family.histograms.isEmpty) {
                    scopeMetrics.message(2) { metric(&$0, family, start: startUnixNano, now: nowUnixNano) }
                }
            }
        }
        return request.bytes
    }

    private static func metric(_ m: inout ProtobufWriter, _ family: MetricFamily, start: UInt64, now: UInt64) {
        m.string(1, family.name)
        m.string(2, family.help)
        if let unit = unit(family.name) { m.string(3, unit) }
        func numberPoints(_ data: inout ProtobufWriter) {
            for sample in family.samples {
                data.message(1) { point in
                    point.fixed64(2, start)
                    point.fixed64(3, now)
                    point.double(4, sample.value)
                    attributes(&point, 7, sample.labels.map { ($0.0, .string($0.1)) })
                }
            }
        }
        switch family.kind {
        case .counter:
            m.message(7) { sum in
                numberPoints(&sum)
                sum.uint(2, cumulative)
                sum.bool(3, true)
            }
        case .gauge:
            m.message(5) { numberPoints(&$0) }
        case .histogram:
            m.message(9) { histogram in
                for h in family.histograms {
                    histogram.message(1) { point in
                        point.fixed64(2, start)
                        point.fixed64(3, now)
                        point.fixed64(4, h.count)
                        point.double(5, h.sum)
                        // Prometheus' cumulative buckets back to per-bucket counts; the last
                        // counts what is above the highest bound
                        var counts: [UInt64] = []
                        var below: UInt64 = 0
                        for bucket in h.buckets {
                            counts.append(bucket.cumulative >= below ? bucket.cumulative - below : 0)
                            below = max(below, bucket.cumulative)
                        }
                        counts.append(h.count >= below ? h.count - below : 0)
                        point.packedFixed64(6, counts)
                        point.packedDouble(7, h.buckets.map(\.le))
                        attributes(&point, 9, h.labels.map { ($0.0, .string($0.1)) })
                    }
                }
                histogram.uint(2, cumulative)
            }
        }
    }

    /// UCUM units from the Prometheus name's unit suffix.
    static func unit(_ name: String) -> String? {
        if name.hasSuffix("_seconds") || name.hasSuffix("_seconds_total") { return "s" }
        if name.hasSuffix("_bytes") || name.hasSuffix("_bytes_total") { return "By" }
        return nil
    }

    private static func resource(_ r: inout ProtobufWriter, _ origin: Origin) {
        attributes(&r, 1, origin.resource)
    }

    private static func scope(_ s: inout ProtobufWriter, _ origin: Origin) {
        s.string(1, origin.scopeName)
        s.string(2, origin.scopeVersion)
    }

    /// Repeated KeyValue field `field`; a null value (unknown) is left out, as OTel's SDKs do.
    static func attributes(_ w: inout ProtobufWriter, _ field: UInt64, _ members: [(String, JSONValue)]) {
        for (key, value) in members {
            if case .null = value { continue }
            w.message(field) { kv in
                kv.string(1, key)
                kv.message(2) { anyValue(&$0, value) }
            }
        }
    }

    /// AnyValue: JSON's types onto OTLP's (an unsigned value past Int64 as a string, exact).
    static func anyValue(_ w: inout ProtobufWriter, _ value: JSONValue) {
        switch value {
        case .null: break
        case .bool(let b): w.bool(2, b)
        case .int(let v): w.int(3, v)
        case .unsigned(let v):
            if let signed = Int64(exactly: v) { w.int(3, signed) } else { w.string(1, String(v)) }
        case .double(let d): w.double(4, d)
        case .string(let s): w.string(1, s)
        case .array(let items):
            w.message(5) { array in
                for item in items { array.message(1) { anyValue(&$0, item) } }
            }
        case .object(let members):
            w.message(6) { attributes(&$0, 1, members) }
        }
    }
}
