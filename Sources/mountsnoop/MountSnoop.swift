import ArgumentParser
import BPFEvents
import LoaderCore

/// mountsnoop: BCC's options and columns; the call's text is MountCall's.
public struct MountSnoop: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "mountsnoop",
        abstract: "trace mount() and umount() syscalls",
        discussion: """
        Also traces the new mount API: fsopen(), fsconfig(), fsmount() and move_mount(), where
        the kernel has them (Linux 5.2+).

        examples:
            ./mountsnoop         # trace every mount and umount, system-wide
            ./mountsnoop -P      # also show each caller's parent process
        """)

    @Flag(name: [.customShort("P"), .customLong("parent_process")], help: "also snoop the parent process")
    var parentProcess = false

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "mountsnoop", base64: embeddedBPFObjectBase64)

    public typealias Row = MountCall

    /// --prometheus: mount-related calls by system call and result.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("mountsnoop_calls_total", help: "Mount system calls by call and result (ok, or the error's name)",
                    labels: ["call", "result"]) { row, _ in
            [row.syscall, row.event.ret >= 0 ? "ok" : ErrnoNames.name(0 &- row.event.ret) ?? String(row.event.ret)]
        },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? { MountCall(record) }

    public static let columns: [EventColumn<MountSnoop, Row>] = [
        EventColumn("COMM", .both("%-16s ")) { row, _ in .text(KernelString.from(tuple: row.event.comm)) },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("TID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.tid)) },
        EventColumn("PCOMM", .both("%-16s "), with: "-P", \.parentProcess) { row, _ in .text(KernelString.from(tuple: row.event.pcomm)) },
        EventColumn("PPID", ColumnFormat("%-7s ", "%-7d "), with: "-P", \.parentProcess) { row, _ in .int(Int64(row.event.ppid)) },
        EventColumn("MNT_NS", ColumnFormat("%-11s ", "%-11d ")) { row, _ in .int(Int64(row.event.mnt_ns)) },
        EventColumn("CALL", .both("%s")) { row, _ in .text(row.text) },
    ]

    /// JSON has the call's parts too: its name, arguments (strings as they are) and result.
    public static let jsonFields: [JSONField<MountSnoop, Row>] = [
        JSONField("syscall") { row, _ in .string(row.syscall) },
        JSONField("syscall_args") { row, _ in .object(row.arguments) },
        JSONField("ret") { row, _ in .int(Int64(row.event.ret)) },
    ]

    /// A record is as long as its strings: 256 KiB holds about a thousand ordinary calls in
    /// flight (a container start makes dozens at once), 15 of the longest (16 KiB of strings).
    public func prepareMaps(_ setup: inout MapSetup) throws {
        setup.size("events", 256 << 10)
    }

    public func bpfConfig() throws -> mountsnoop_cfg {
        var cfg = mountsnoop_cfg()
        cfg.common = try common.bpfConfig()
        return cfg
    }

    /// mount() and umount() are in every kernel; the new mount API's calls (5.2+) where they exist.
    public var plan: AttachPlan {
        ProbeChain.syscall("mount") + ProbeChain.syscall("umount")
            + ["fsopen", "fsconfig", "fsmount", "move_mount"].flatMap { ProbeChain.syscall($0, required: false) }
    }
}
