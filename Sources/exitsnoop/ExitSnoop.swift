import ArgumentParser
import BPFEvents
import LoaderCore

/// exitsnoop: BCC's options and columns; the core does the rest.
public struct ExitSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "exitsnoop",
        abstract: "Trace all process termination (exit, fatal signal)",
        discussion: """
        examples:
            exitsnoop                # trace all process termination
            exitsnoop -x             # trace only fails, exclude exit(0)
            exitsnoop -t             # include timestamps (local time)
            exitsnoop --utc          # include timestamps (UTC)
            exitsnoop -p 181         # only trace PID 181
            exitsnoop --label=exit   # label each output line with 'exit'
            exitsnoop --per-thread   # trace per thread termination
        """)

    @Flag(name: [.customShort("t"), .customLong("timestamp")], help: "include timestamp (local time default)")
    var timestamp = false

    @Flag(name: .customLong("utc"), help: "include timestamp in UTC (-t implied)")
    var utc = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @Option(name: .customLong("label"), help: ArgumentHelp("label each line", valueName: "LABEL"))
    var label: String?

    @Flag(name: [.customShort("x"), .customLong("failed")], help: "trace only fails, exclude exit(0)")
    var failed = false

    @Flag(name: .customLong("per-thread"), help: "trace per thread termination")
    var perThread = false

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
    }

    public static let object = EmbeddedObject(name: "exitsnoop", base64: embeddedBPFObjectBase64)

    /// The exit, its status read once, and the label its row carries (BCC prints "exit" for an
    /// empty --label).
    public typealias Row = (event: exitsnoop_event, status: ExitStatus, label: String)

    /// --prometheus: exits by command name and how (an exit code, or the killing signal).
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("exitsnoop_exits_total", help: "Process exits by command name and status (the exit code, or the signal)",
                    labels: ["comm", "status"]) { row, _ in [KernelString.from(tuple: row.event.comm), row.status.description] },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.exit_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<exitsnoop_event>.size else { return nil }
        let event = record.loadUnaligned(as: exitsnoop_event.self)
        return (event, ExitStatus(event.exit_code), label.map { $0.isEmpty ? "exit" : $0 } ?? "")
    }

    var localTimestamp: Bool { timestamp && !utc }
    var labelled: Bool { label != nil }

    public static let columns: [EventColumn<ExitSnoop, Row>] = [
        // BCC titles the column with the local zone's abbreviation (strftime's %Z)
        EventColumn("TIME-\(Clock.localTime("%Z"))", .both("%-13s"), json: "time", with: "-t", \.localTimestamp) { row, context in
            .text(Clock.timeOfDayMs(realtimeNs: context.realtimeNs(row.event.exit_ns), utc: false))
        },
        EventColumn("TIME-UTC", .both("%-13s"), json: "time", with: "--utc", \.utc) { row, context in
            .text(Clock.timeOfDayMs(realtimeNs: context.realtimeNs(row.event.exit_ns), utc: true))
        },
        EventColumn("LABEL", .both("%-6s"), with: "--label", \.labelled) { row, _ in .text(row.label) },
        EventColumn("PCOMM", .both("%-16s "), json: "comm") { row, _ in .text(KernelString.from(tuple: row.event.comm)) },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("PPID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.ppid)) },
        EventColumn("TID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.tid)) },
        EventColumn("AGE(s)", ColumnFormat("%-7s ", "%-7.2f "), json: "age_s") { row, _ in
            // a start after the exit (not a real task's) shows as age 0, never negative
            .double(row.event.exit_ns > row.event.start_ns ? Double(row.event.exit_ns - row.event.start_ns) / 1e9 : 0)
        },
        EventColumn("EXIT_CODE", ColumnFormat("%-10s", "%s"), json: "") { row, _ in .text(row.status.description) },
    ]

    /// JSON has the exit status in parts: a code, or a signal, and whether there was a core.
    public static let jsonFields: [JSONField<ExitSnoop, Row>] = [
        JSONField("exit_code") { row, _ in row.status.signal == 0 ? .int(Int64(row.status.code)) : .null },
        JSONField("signal") { row, _ in row.status.signal == 0 ? .null : .int(Int64(row.status.signal)) },
        JSONField("core_dumped") { row, _ in .bool(row.status.coreDumped) },
    ]

    public func bpfConfig() throws -> exitsnoop_cfg {
        var cfg = exitsnoop_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"))
        cfg.per_thread = perThread ? 1 : 0
        cfg.failed_only = failed ? 1 : 0
        return cfg
    }

    public var plan: AttachPlan {
        [.oneOf("process exits", [
            ProbeCandidate(.rawTracepoint("sched_process_exit"), program: "raw_exit"),
            ProbeCandidate(.tracepoint(category: "sched", name: "sched_process_exit"), program: "tp_exit"),
        ])]
    }
}
