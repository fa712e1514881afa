import ArgumentParser
import BPFEvents
import LoaderCore

/// oomkill: BCC's line per OOM kill, then the triggering task's user stack.
public struct OOMKill: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "oomkill",
        abstract: "Trace the kernel out-of-memory (OOM) killer",
        discussion: """
        examples:
            ./oomkill                                # one line (and a stack) per OOM kill
            ./oomkill --cgroup /sys/fs/cgroup/app    # only kills of tasks in this cgroup
        """)

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "oomkill", base64: embeddedBPFObjectBase64)
    public static let banner: String? = "Tracing OOM kills... Ctrl-C to stop."
    public static let printsHeader = false

    public typealias Row = OOMRow

    /// --prometheus: OOM kills by the victim's command name.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("oomkill_kills_total", help: "OOM kills by the victim's command name", labels: ["comm"]) { row, _ in
            [row.victimComm ?? "?"]
        },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        OOMRow(record, loadAverage: context.state { LoadAverage() }.line())
    }

    /// BCC's line, as columns without a header: "%s Triggered by PID %d ("%s"), OOM kill of
    /// PID %d ("%s"), %d pages, loadavg: %s".
    public static let columns: [EventColumn<OOMKill, Row>] = [
        EventColumn("TIME", .both("%s ")) { _, context in .text(context.localTime()) },
        EventColumn("PID", ColumnFormat("", "Triggered by PID %d ")) { row, _ in .int(Int64(row.event.fpid)) },
        EventColumn("COMM", ColumnFormat("", "(\"%s\"), ")) { row, _ in .text(KernelString.from(tuple: row.event.fcomm)) },
        EventColumn("VICTIM_PID", ColumnFormat("", "OOM kill of PID %d ")) { row, _ in .int(Int64(row.victimPID)) },
        EventColumn("VICTIM_COMM", ColumnFormat("", "(\"%s\"), ")) { row, _ in row.victimComm.map(Cell.text) ?? .optionalInt(nil, display: "?") },
        // the tracepoint the tool falls back to does not see them: "?" (JSON: null)
        EventColumn("PAGES", ColumnFormat("", "%s pages, "), json: "") { row, _ in .text(row.pages.map { String($0) } ?? "?") },
        EventColumn("LOADAVG", ColumnFormat("", "loadavg: %s"), json: "") { row, _ in .text(row.loadAverage) },
    ]

    public static let jsonFields: [JSONField<OOMKill, Row>] = [
        JSONField("pages") { row, _ in row.pages.map(JSONValue.unsigned) ?? .null },
        JSONField("tid") { row, _ in .int(Int64(row.event.ftid)) },
        // /proc/loadavg's first three fields as numbers; its line is in the text output
        JSONField("loadavg") { row, _ in .array(LoadAverage.averages(row.loadAverage).map(JSONValue.double)) },
        JSONField("user_stack") { row, _ in row.frames.map { .array($0.map { $0.frame.json(address: $0.address) }) } ?? .null },
    ]

    /// BCC's stack lines: each frame's name (BCC prints Python's repr of the bytes, b'main').
    public func detailLines(_ row: Row, _ context: RowContext) -> [String] {
        guard let frames = row.frames else { return ["  Failed to capture stack trace"] }
        return ["  Stack trace:"] + frames.map { "    " + $0.frame.bare }
    }

    /// Each record holds the trigger's user stack (1 KiB): 256 KiB holds a burst of 240 kills,
    /// and the reader is woken when a quarter is full. The kernel kills one task at a time
    /// (out_of_memory() runs under the global oom_lock, cgroups' OOMs too), each a row to
    /// read. The kernel maps the ring into the reader twice, all of it resident: at 1 MiB it
    /// was 2 MB of oomkill's 4.6 MB idle.
    public func prepareMaps(_ setup: inout MapSetup) throws {
        setup.size("events", 256 << 10)
    }

    public func bpfConfig() throws -> oomkill_cfg {
        var cfg = oomkill_cfg()
        cfg.common = try common.bpfConfig()
        return cfg
    }

    /// BCC's oom_kill_process() (fentry, else kprobe) sees the total pages; oom:mark_victim
    /// (no kprobes needed) does not, and passes the victim's task only since Linux 6.8 (its
    /// thread ID before).
    public var plan: AttachPlan {
        [.oneOf("OOM kills", [
            ProbeCandidate(.fentry("oom_kill_process"), program: "fentry_oom_kill"),
            ProbeCandidate(.kprobe("oom_kill_process"), program: "kprobe_oom_kill"),
            ProbeCandidate(.rawTracepoint("mark_victim"), program: "raw_mark_victim"),
        ])]
    }
}
