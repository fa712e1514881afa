import ArgumentParser
import BPFEvents
import LoaderCore

/// killsnoop: BCC's options and columns; the core does the rest.
public struct KillSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "killsnoop",
        abstract: "Trace signals issued by the kill() syscall",
        discussion: """
        examples:
            ./killsnoop           # trace all kill() signals
            ./killsnoop -x        # only show failed kills
            ./killsnoop -p 181    # only trace PID 181
            ./killsnoop -T 189    # only trace target PID 189
            ./killsnoop -s 9      # only trace signal 9
            ./killsnoop -s 9,15   # trace signal 9 and 15
        """)

    @Flag(name: [.customShort("x"), .customLong("failed")], help: "only show failed kill syscalls")
    var failed = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")],
            help: ArgumentHelp("trace this PID only which is the sender of signal", valueName: "PID"))
    var pid: Int?

    @Option(name: [.customShort("T", allowingJoined: true), .customLong("tpid")],
            help: ArgumentHelp("trace this target PID only which is the receiver of signal", valueName: "TPID"))
    var tpid: Int32?

    @Option(name: [.customShort("s", allowingJoined: true), .customLong("signal")],
            help: ArgumentHelp("trace a signal or a signal list", valueName: "SIGNAL"))
    var signals: SignalList?

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
    }

    public static let object = EmbeddedObject(name: "killsnoop", base64: embeddedBPFObjectBase64)

    public typealias Row = killsnoop_event

    /// --prometheus: signals sent, by signal and result ("ok", or the error's name).
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("killsnoop_signals_total", help: "kill() calls by signal and result (ok, or the error's name)",
                    labels: ["signal", "result"]) { row, _ in
            [SignalNames.name(Int32(truncatingIfNeeded: row.sig)),
             row.ret == 0 ? "ok" : ErrnoNames.name(0 &- Int32(truncatingIfNeeded: row.ret)) ?? String(row.ret)]
        },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.ts_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<killsnoop_event>.size else { return nil }
        return record.loadUnaligned(as: killsnoop_event.self)
    }

    /// BCC sizes both PID columns to the digits of the largest PID, plus one.
    static let pidWidth = ((try? readFile("/proc/sys/kernel/pid_max"))?.split(whereSeparator: \.isWhitespace).first?.count ?? 5) + 1

    public static let columns: [EventColumn<KillSnoop, Row>] = [
        EventColumn("TIME", .both("%-9s ")) { _, context in .text(context.localTime()) },
        EventColumn("PID", ColumnFormat("%-\(pidWidth)s ", "%-\(pidWidth)d ")) { row, _ in .int(Int64(row.pid)) },
        EventColumn("COMM", .both("%-16s ")) { row, _ in .text(KernelString.from(tuple: row.comm)) },
        EventColumn("SIG", ColumnFormat("%-4s ", "%-4d "), json: "signal") { row, _ in .int(Int64(row.sig)) },
        EventColumn("TPID", ColumnFormat("%-\(pidWidth)s ", "%-\(pidWidth)d "), json: "target_pid") { row, _ in .int(Int64(row.tpid)) },
        EventColumn("RESULT", ColumnFormat("%s", "%d"), json: "ret") { row, _ in .int(Int64(row.ret)) },
    ]

    public func bpfConfig() throws -> killsnoop_cfg {
        var cfg = killsnoop_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"))
        cfg.signal_mask = signals?.mask ?? 0
        cfg.targ_tpid = tpid ?? 0
        cfg.filter_tpid = tpid == nil ? 0 : 1
        cfg.failed_only = failed ? 1 : 0
        return cfg
    }

    public var plan: AttachPlan { ProbeChain.syscall("kill") }
}
