import Glibc

/// What the OpenTelemetry SDKs read from the environment, read the same way here (so a unit
/// file's Environment= lines work for these tools as for any instrumented service):
/// OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS,
/// OTEL_METRIC_EXPORT_INTERVAL and the batch log processor's OTEL_BLRP_* (times in ms).
public struct OTLPSettings: Sendable {
    public var resource: [(String, JSONValue)]
    public var headers: [(String, String)]
    /// Metrics are pushed this often (OTel's default: 60 s).
    public var metricIntervalSeconds: Double = 60
    /// Log records are sent at least this often (OTel's default: 1 s)...
    public var logDelaySeconds: Double = 1
    /// ...or as soon as this many wait (512).
    public var maxBatch = 512
    /// Records waiting past this many (while the collector is slow or down) are dropped and counted (2048).
    public var maxQueue = 2048

    /// From `environment` (the process's by default) for `tool`; a malformed variable is a
    /// usage error naming it.
    public init(tool: String, environment: [String: String] = OTLPSettings.processEnvironment()) throws(BPFError) {
        func milliseconds(_ name: String, _ fallback: Double) throws(BPFError) -> Double {
            guard let raw = environment[name] else { return fallback }
            guard let ms = Double(raw), ms.isFinite, ms > 0, ms <= 86_400_000 else {
                throw BPFError(.invalidArgument, "\(name)=\(raw): expected milliseconds (1 to 86400000)")
            }
            return ms / 1000
        }
        func count(_ name: String, _ fallback: Int) throws(BPFError) -> Int {
            guard let raw = environment[name] else { return fallback }
            guard let n = Int(raw), n > 0, n <= 1_000_000 else { throw BPFError(.invalidArgument, "\(name)=\(raw): expected a count (1 to 1000000)") }
            return n
        }
        metricIntervalSeconds = try milliseconds("OTEL_METRIC_EXPORT_INTERVAL", 60_000)
        logDelaySeconds = try milliseconds("OTEL_BLRP_SCHEDULE_DELAY", 1000)
        maxQueue = try count("OTEL_BLRP_MAX_QUEUE_SIZE", 2048)
        maxBatch = min(try count("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", 512), maxQueue)

        var attributes: [(String, String)] = [("host.name", Self.hostName()), ("service.name", tool)]
        for (key, value) in try Self.pairs("OTEL_RESOURCE_ATTRIBUTES", environment["OTEL_RESOURCE_ATTRIBUTES"]) {
            attributes.removeAll { $0.0 == key }
            attributes.append((key, value))
        }
        if let service = environment["OTEL_SERVICE_NAME"], !service.isEmpty {
            attributes.removeAll { $0.0 == "service.name" }
            attributes.append(("service.name", service))
        }
        attributes.append(("service.version", ToolVersion.number))
        resource = attributes.map { ($0.0, .string($0.1)) }
        headers = try Self.pairs("OTEL_EXPORTER_OTLP_HEADERS", environment["OTEL_EXPORTER_OTLP_HEADERS"])
        for (name, value) in headers where name.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) || value.contains(where: \.isNewline) {
            throw BPFError(.invalidArgument, "OTEL_EXPORTER_OTLP_HEADERS: \(name) is not a header name, or its value holds a line break")
        }
    }

    /// "k1=v1,k2=v2" with percent-encoded values (the W3C Baggage form both variables use).
    static func pairs(_ name: String, _ raw: String?) throws(BPFError) -> [(String, String)] {
        guard let raw, !raw.isEmpty else { return [] }
        var result: [(String, String)] = []
        for item in raw.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            let key = parts.first.map { String($0.trimmed) } ?? ""
            guard parts.count == 2, !key.isEmpty, let value = percentDecoded(String(parts[1].trimmed)) else {
                throw BPFError(.invalidArgument, "\(name): expected key=value[,key=value...], not \(item)")
            }
            result.append((key, value))
        }
        return result
    }

    static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var utf8 = text.utf8.makeIterator()
        while let byte = utf8.next() {
            guard byte == UInt8(ascii: "%") else { bytes.append(byte); continue }
            guard let high = utf8.next(), let low = utf8.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func hostName() -> String {
        var name = [CChar](repeating: 0, count: 256)
        guard gethostname(&name, name.count - 1) == 0 else { return "unknown" }
        return String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public static func processEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), text.hasPrefix("OTEL_") {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            entry += 1
        }
        return result
    }
}
