import ArgumentParser
import BPFEvents
import LoaderCore

/// dbstat: BCC's options and report; finding the servers and their probes is the core's
/// (DatabaseTargets), shared with dbslower.
public struct DBStat: BPFTool {
    public static let configuration = CommandConfiguration(
        commandName: "dbstat",
        abstract: "Display a histogram of MySQL and PostgreSQL query latencies",
        discussion: """
        examples:
            dbstat postgres     # display a histogram of PostgreSQL query latencies
            dbstat mysql -v     # display MySQL latencies and print the probes used
            dbstat mysql -u     # display query latencies in microseconds (default: ms)
            dbstat mysql -m 5   # trace only queries slower than 5ms
            dbstat mysql -p 408 # trace queries in a specific process
        """)

    @OptionGroup var server: DatabaseServerOptions

    @Option(name: [.customShort("m"), .customLong("threshold")],
            help: ArgumentHelp("trace queries slower than this threshold (ms)", valueName: "THRESHOLD"))
    var threshold = 0

    @Flag(name: [.customShort("u"), .customLong("microseconds")], help: "display query latencies in microseconds (default: milliseconds)")
    var microseconds = false

    @Option(name: [.customShort("i"), .customLong("interval")], help: ArgumentHelp("print summary at this interval (seconds)", valueName: "INTERVAL"))
    var interval = IntervalCount.forever

    @OptionGroup var prometheus: ExportOptions

    @OptionGroup var containerOptions: ContainerOptions
    var containers: Bool { containerOptions.enabled }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let defaultArguments = ["postgres"]
    public static let planOptions = ["mysql"]
    public static let object = EmbeddedObject(name: "dbstat", base64: embeddedBPFObjectBase64)
    public static let output = ToolOutput.summary(banner: "Tracing database queries for pids PID, ... slower than N ms...",
                                                  jsonKeys: ["timestamp", "ts", "val_type", "data", "interval_start", "interval_end", "count"]
                                                      + ContainerIdentity.jsonKeys.map(\.key))

    public func validate() throws {
        guard interval > 0 else { throw ValidationError("argument -i/--interval: must be positive") }
        guard prometheus.active else { return }
        for (set, name) in [(interval != IntervalCount.forever, "-i/--interval"), (microseconds, "-u/--microseconds"),
                            (common.json, "--json")] where set {
            throw ValidationError("argument \(name): not allowed with argument \(prometheus.optionName) (which serves the histogram in seconds until stopped)")
        }
    }

    public var plan: AttachPlan { QueryProbes.declaredPlan(server.db) }

    public func bpfConfig() throws -> dbstat_cfg {
        var cfg = dbstat_cfg()
        cfg.common = try common.bpfConfig()
        cfg.db = server.config(thresholdMs: threshold)
        // --prometheus: buckets of 2^i microseconds, in seconds
        cfg.unit_ns = microseconds || prometheus.active ? 1000 : 1_000_000
        cfg.by_cgroup = containers ? 1 : 0
        return cfg
    }

    public func run() throws {
        try ContainerOptions.requireHierarchy(if: containers)
        let targets = try server.targets(tool: Self.toolName, verbose: common.verbose)
        let pidList = server.pids.map { UInt32($0) }
        let bpf = try ToolSession.start(tool: Self.toolName, object: Self.object, plan: targets.plan, config: try bpfConfig(), common: common,
                                        maxEntries: [("hist", containers ? 4096 : 1)]
                                            + (pidList.isEmpty ? [] : [("traced_pids", UInt32(clamping: pidList.count))]),
                                        beforeAttach: { loaded throws(BPFError) in
            let set = try loaded.map("traced_pids")
            for pid in pidList { try set.update(pid, UInt8(1)) }
        })
        if prometheus.active {
            let metrics = DBStatMetrics(hist: try bpf.map("hist"), engine: server.db.rawValue, containers: containers)
            return try prometheus.serve(tool: Self.toolName, loaded: bpf) { metrics.families() }
        }
        let report = DBStatReport(hist: try bpf.map("hist"), lost: bpf.lostCounter(), unit: microseconds ? "us" : "ms", json: common.json,
                                  containers: containers)
        common.announce(targets.banner(thresholdMs: threshold))
        try IntervalLoop.run(interval: Double(interval), count: nil, loaded: bpf) {
            try report.print()
        }
    }
}
