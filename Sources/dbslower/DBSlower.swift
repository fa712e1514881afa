import ArgumentParser
import BPFEvents
import LoaderCore

/// dbslower: BCC's options and columns; finding the servers and their probes is the core's
/// (DatabaseTargets), shared with dbstat.
public struct DBSlower: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "dbslower",
        abstract: "Trace MySQL and PostgreSQL queries slower than a threshold",
        discussion: """
        examples:
            dbslower postgres            # trace PostgreSQL queries slower than 1ms
            dbslower postgres -p 188 322 # trace specific PostgreSQL processes
            dbslower mysql -p 480 -m 30  # trace MySQL queries slower than 30ms
            dbslower mysql -p 480 -v     # trace MySQL queries & print the probes used
            dbslower mysql -x $(which mysqld)  # trace MySQL queries with uprobes
            dbslower postgres -m 0 --max-query-size 4096  # every query, 4 KiB of its text
        """)

    @OptionGroup var server: DatabaseServerOptions

    @Option(name: [.customShort("m"), .customLong("threshold")],
            help: ArgumentHelp("trace queries slower than this threshold (ms)", valueName: "THRESHOLD"))
    var threshold = 1

    @Option(name: .customLong("max-query-size"),
            help: ArgumentHelp("bytes of each query's text shown (default \(DBSLOWER_QUERY_DEFAULT), BCC's; at most \(DBSLOWER_QUERY_MAX))",
                               valueName: "BYTES"))
    var maxQuerySize = Int(DBSLOWER_QUERY_DEFAULT)

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let defaultArguments = ["postgres"]
    public static let planOptions = ["mysql"]

    public func validate() throws {
        guard (1...Int(DBSLOWER_QUERY_MAX)).contains(maxQuerySize) else {
            throw ValidationError("--max-query-size must be 1 to \(DBSLOWER_QUERY_MAX)")
        }
    }

    public static let object = EmbeddedObject(name: "dbslower", base64: embeddedBPFObjectBase64)

    public var plan: AttachPlan { QueryProbes.declaredPlan(server.db) }

    public typealias Row = QueryRow

    /// --prometheus: queries slower than the threshold.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("dbslower_slow_queries_total", help: "Queries slower than the threshold (-m)", labels: []) { _, _ in [] },
        EventMetric("dbslower_slow_query_seconds_total", help: "Time spent in the queries slower than the threshold",
                    labels: [], values: { _, _ in [] }, amount: { $0.event.duration_ns }, scale: 1e-9),
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.start_ns &+ row.event.duration_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard let row = QueryRow(record) else { return nil }
        if row.cut {
            let notice = context.state { CutNotice() }
            if !notice.given {
                notice.given = true
                Diagnostics.line("dbslower: a query of PID \(row.event.pid) longer than \(maxQuerySize) bytes was cut"
                                 + (row.event.full_len > 0 ? " (\(row.event.full_len) bytes)" : "")
                                 + "; raise --max-query-size (up to \(DBSLOWER_QUERY_MAX)) to see it whole")
            }
        }
        return row
    }

    public static let columns: [EventColumn<DBSlower, Row>] = [
        EventColumn("TIME(s)", ColumnFormat("%-14s ", "%-14.6f "), json: "time_s") { row, context in
            .double(Clock.difference(row.event.start_ns, since: context.startNs) / 1e9)
        },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("MS", ColumnFormat("%8s ", "%8.3f "), json: "duration_ms") { row, _ in .double(Double(row.event.duration_ns) / 1e6) },
        EventColumn("QUERY", .both("%s")) { row, _ in .text(row.query) },
    ]

    public static let jsonFields: [JSONField<DBSlower, Row>] = [
        JSONField("query_truncated") { row, _ in .bool(row.cut || row.unreadable) },
    ]

    public func bpfConfig() throws -> dbslower_cfg {
        var cfg = dbslower_cfg()
        cfg.common = try common.bpfConfig()
        cfg.db = server.config(thresholdMs: threshold)
        cfg.query_cap = UInt32(maxQuerySize)
        return cfg
    }

    /// The query buffers hold query_cap bytes and the room to tell a longer query.
    public func prepareMaps(_ setup: inout MapSetup) throws {
        let bytes = UInt32(MemoryLayout<dbslower_event>.size + maxQuerySize + Int(DBSLOWER_QUERY_SLACK))
        setup.valueSize("pending", bytes)
        setup.valueSize("scratch", bytes)
        setup.set("traced_pids", server.pids.map { UInt32($0) })
    }

    public func run() throws {
        let targets = try server.targets(tool: Self.toolName, verbose: common.verbose)
        let loaded = try start(plan: targets.plan)
        try stream(loaded, banner: targets.banner(thresholdMs: threshold))
    }
}

/// The first cut query is noted on stderr, once.
final class CutNotice {
    var given = false
}
