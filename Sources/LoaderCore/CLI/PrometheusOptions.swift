import ArgumentParser

/// --prometheus ADDR: serve the tool's metrics at http://ADDR/metrics instead of printing.
public struct PrometheusOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("prometheus"),
            help: ArgumentHelp("serve metrics at http://ADDR/metrics (e.g. :9435) instead of printing; run until stopped", valueName: "ADDR"))
    public var address: String?

    public init() {}

    public func validate() throws {
        if let address {
            do { _ = try MetricsServer.parse(address) } catch { throw ValidationError(error.message) }
        }
    }

    /// Serves `families` (and the tool's own metrics) until SIGINT/SIGTERM (or while `loop`
    /// runs: a streaming tool's event loop); the banner says where, on stderr.
    public func serve(tool: String, loaded: borrowing LoadedBPF, families: @escaping @Sendable () -> [MetricFamily],
                      loop: () throws -> Void = PrometheusOptions.untilStopped) throws {
        guard let address else { return }
        let own = SelfMetrics(tool: tool, loaded: loaded)
        let server = try MetricsServer(address: address) {
            (families() + own.families()).map(\.text).joined()
        }
        server.start()
        Diagnostics.line("\(tool): serving metrics at http://\(address.hasPrefix(":") ? "0.0.0.0" + address : address)/metrics; Ctrl-C to end.")
        defer { server.stop() }
        loaded.runAfterStart()
        try loop()
    }

    /// A summary tool's wait: until SIGINT or SIGTERM.
    public static func untilStopped() {
        MemoryTrim.afterStartup()
        while IntervalLoop.sleep(seconds: 3600, output: .stdout) {}
    }
}
