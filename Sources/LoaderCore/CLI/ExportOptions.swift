import ArgumentParser
import Synchronization

/// --prometheus ADDR and --otlp URL: a tool's fleet mode. Either (or both) replaces printing:
/// the tool runs until stopped (or its duration ends), serving its metrics at
/// http://ADDR/metrics and pushing them, and for an event tool a log record per row, to an
/// OTLP/HTTP collector.
public struct ExportOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("prometheus"),
            help: ArgumentHelp("serve metrics at http://ADDR/metrics (e.g. :9435) instead of printing; run until stopped", valueName: "ADDR"))
    public var address: String?

    @Option(name: .customLong("otlp"),
            help: ArgumentHelp("push metrics (and a log record per event) to an OTLP/HTTP collector at URL (e.g. http://localhost:4318) instead of printing",
                               valueName: "URL"))
    public var otlp: String?

    public init() {}

    /// Whether the tool exports (and so does not print).
    public var active: Bool { address != nil || otlp != nil }

    /// The option that made the tool export, for usage errors ("--prometheus").
    public var optionName: String { address != nil ? "--prometheus" : "--otlp" }

    public func validate() throws {
        if let address {
            do { _ = try MetricsServer.parse(address) } catch { throw ValidationError(error.message) }
        }
        if let otlp {
            do {
                _ = try OTLPEndpoint(otlp)
                _ = try OTLPSettings(tool: "")
            } catch { throw ValidationError(error.message) }
        }
    }

    /// The OTLP exporter --otlp asks for (not started), or nil.
    public func otlpExporter(tool: String) throws(BPFError) -> OTLPExporter? {
        guard let otlp else { return nil }
        return OTLPExporter(tool: tool, endpoint: try OTLPEndpoint(otlp), settings: try OTLPSettings(tool: tool))
    }

    /// Serves `families` (and the tool's own metrics) until SIGINT/SIGTERM (or while `loop`
    /// runs: a streaming tool's event loop); the banner says where, on stderr. `otlp`: the
    /// exporter a streaming tool already hands its rows to.
    public func serve(tool: String, loaded: borrowing LoadedBPF, otlp: OTLPExporter? = nil,
                      routes: [String: MetricsServer.Route] = [:], families: @escaping @Sendable () -> [MetricFamily],
                      loop: () throws -> Void = ExportOptions.untilStopped) throws {
        guard active else { return }
        let own = SelfMetrics(tool: tool, loaded: loaded)
        let exporter = try otlp ?? otlpExporter(tool: tool)
        // one render at a time: scrapes on two connections and the OTLP push may ask together,
        // and the tools' metrics keep state between renders (offcputime folds exited threads)
        let rendering = Mutex(())
        let all: @Sendable () -> [MetricFamily] = { rendering.withLock { _ in families() + own.families() } }
        var server: MetricsServer?
        if let address {
            server = try MetricsServer(address: address, routes: routes) {
                (all() + (exporter?.families() ?? [])).map(\.text).joined()
            }
            server?.start()
            Diagnostics.line("\(tool): serving metrics at http://\(address.hasPrefix(":") ? "0.0.0.0" + address : address)/metrics; Ctrl-C to end.")
        }
        exporter?.start(metrics: all)
        if let url = self.otlp { Diagnostics.line("\(tool): pushing to the OTLP collector at \(url); Ctrl-C to end.") }
        // the exporter's last push reads the BPF programs' stats: before `loaded` goes
        defer {
            server?.stop()
            exporter?.finish()
        }
        loaded.runAfterStart()
        try loop()
    }

    /// A summary tool's wait: until SIGINT or SIGTERM.
    public static func untilStopped() {
        MemoryTrim.afterStartup()
        while IntervalLoop.sleep(seconds: 3600, output: .stdout) {}
    }
}
