import ArgumentParser
import BPFEvents
import Glibc
import LoaderCore

/// tcpstates: BCC's options and columns; the core does the rest.
public struct TCPStates: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "tcpstates",
        abstract: "Trace TCP session state changes and durations",
        discussion: """
        examples:
            ./tcpstates           # trace all TCP state changes
            ./tcpstates -t        # include timestamp column
            ./tcpstates -T        # include time column (HH:MM:SS)
            ./tcpstates -w        # wider columns (fit IPv6)
            ./tcpstates -stT      # csv output, with times & timestamps
            ./tcpstates -Y        # log events to the systemd journal
            ./tcpstates -L 80     # only trace local port 80
            ./tcpstates -L 80,81  # only trace local ports 80 and 81
            ./tcpstates -D 80     # only trace remote port 80
        """)

    @OptionGroup var display: SessionLayoutOptions

    @OptionGroup var ports: PortFilterOptions

    @Flag(name: [.customShort("Y"), .customLong("journal")], help: "log session state changes to the systemd journal")
    var journal = false

    @OptionGroup var family: FamilyOptions

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "tcpstates", base64: embeddedBPFObjectBase64)

    public typealias Row = (event: tcpstates_event, flow: TCPFlow)

    /// --prometheus: state changes by old and new state.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("tcpstates_transitions_total", help: "TCP socket state changes by old and new state", labels: ["old", "new"]) { row, _ in
            [TCPState.name(Int(row.event.oldstate)), TCPState.name(Int(row.event.newstate))]
        },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_us &* 1000 }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<tcpstates_event>.size else { return nil }
        let e = record.loadUnaligned(as: tcpstates_event.self)
        return (e, TCPFlow(e.flow))
    }

    public var layout: String { display.layout }

    /// BCC's three layouts: default (80 columns), wide (-w) and CSV (-s).
    public static let columns: [EventColumn<TCPStates, Row>] = [
        EventColumn("TIME", .both("%-8s "), layouts: csv("%s,"), with: "-T", \.display.time) { _, context in .text(context.localTime()) },
        EventColumn("TIME(s)", ColumnFormat("%-9s ", "%-9.6f "), layouts: csv("%.6f,"), with: "-t", \.display.timestamp) { row, context in
            .double(context.secondsSinceFirst(row.event.ts_us, unitsPerSecond: 1e6))
        },
        // BCC's "%-16x"; a hex string in JSON too (a kernel address is beyond JSON's exact integers)
        EventColumn("SKADDR", .both("%-16s "), layouts: csv("%s,")) { row, _ in .text(String(row.event.skaddr, radix: 16)) },
        EventColumn("C-PID", ColumnFormat("%-5s ", "%-5d "), json: "pid", layouts: csv("%d,")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("C-COMM", .both("%-10.10s "), json: "comm", layouts: csv("%s,", wide: "%-16.16s ")) { row, _ in
            .text(KernelString.from(tuple: row.event.comm))
        },
        // the default layout has no IP column: BCC formats an empty string there ("%s%-15s")
        EventColumn("IP", ColumnFormat("%s", "%.0s", untitled: true), layouts: csv("%s,", wide: "%-2s ")) { row, _ in
            .optionalInt(Int64(row.flow.version), display: String(row.flow.version))
        },
        EventColumn("LADDR", .both("%-15s "), layouts: csv("%s,", wide: "%-26s ")) { row, _ in .text(row.flow.local.description) },
        EventColumn("LPORT", .both("%-5s "), layouts: csv("%s,")) { row, _ in port(row.flow.localPort) },
        EventColumn("RADDR", .both("%-15s "), layouts: csv("%s,", wide: "%-26s ")) { row, _ in .text(row.flow.remote.description) },
        EventColumn("RPORT", .both("%-5s "), layouts: csv("%s,")) { row, _ in port(row.flow.remotePort) },
        EventColumn("OLDSTATE", .both("%-11s -> "), layouts: csv("%s,")) { row, _ in .text(TCPState.name(Int(row.event.oldstate))) },
        EventColumn("NEWSTATE", .both("%-11s "), layouts: csv("%s,")) { row, _ in .text(TCPState.name(Int(row.event.newstate))) },
        EventColumn("MS", ColumnFormat("%s", "%.3f"), json: "duration_ms") { row, _ in .double(Double(row.event.span_us) / 1000) },
    ]

    /// A column's CSV format and, if given, its wide format.
    private static func csv(_ row: String, wide: String? = nil) -> [String: ColumnFormat] {
        SessionLayoutOptions.layouts(csv: row, wide: wide.map { .both($0) })
    }

    private static func port(_ value: UInt16) -> Cell { .optionalInt(Int64(value), display: String(value)) }

    public func bpfConfig() throws -> tcpstates_cfg {
        var cfg = tcpstates_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_family = family.bpfFamily
        (cfg.filter_lports, cfg.filter_dports) = ports.filterFlags
        return cfg
    }

    public func prepareMaps(_ setup: inout MapSetup) throws {
        ports.prepareMaps(&setup)
    }

    public var plan: AttachPlan {
        [.oneOf("TCP state changes", [
            ProbeCandidate(.rawTracepoint("inet_sock_set_state"), program: "raw_set_state"),
            ProbeCandidate(.tracepoint(category: "sock", name: "inet_sock_set_state"), program: "tp_set_state"),
        ])]
    }

    public func run() throws {
        // BCC's words when there is no journal to log to
        let journal: Journal?
        do { journal = self.journal ? try Journal() : nil } catch {
            throw ToolFailure("ERROR: Journal logging requires the systemd journal: \(error.message)")
        }
        let bpf = try start()
        try stream(bpf, each: journal.map { journal in { row, _ in journal.send(Self.journalFields(row)) } })
        if let journal, journal.dropped > 0 {
            Diagnostics.line("tcpstates: \(journal.dropped) state changes were not logged to the journal (its socket was full)")
        }
    }

    /// BCC's journal entry for a state change (systemd.journal-fields(7) and BCC's OBJECT_*).
    static func journalFields(_ row: Row) -> [(String, String)] {
        let prefix = row.flow.version == 6 ? "IPV6" : "IPV4"
        let comm = KernelString.from(tuple: row.event.comm)
        let (old, new) = (TCPState.name(Int(row.event.oldstate)), TCPState.name(Int(row.event.newstate)))
        var fields: [(String, String)] = [
            ("SYSLOG_IDENTIFIER", "tcpstates"), ("PRIORITY", "5"),
            ("OBJECT_PID", String(row.event.pid)),
            ("OBJECT_\(prefix)_SOURCE_ADDRESS", row.flow.local.description), ("OBJECT_TCP_SOURCE_PORT", String(row.flow.localPort)),
            ("OBJECT_\(prefix)_DESTINATION_ADDRESS", row.flow.remote.description),
            ("OBJECT_TCP_DESTINATION_PORT", String(row.flow.remotePort)),
            ("OBJECT_TCP_OLD_STATE", old), ("OBJECT_TCP_NEW_STATE", new), ("OBJECT_TCP_SPAN_TIME", String(row.event.span_us)),
            ("MESSAGE", "\(comm) \(row.flow.local) \(row.flow.localPort) → \(row.flow.remote) \(row.flow.remotePort) \(old) → \(new)"),
        ]
        // as root, journald adds OBJECT_COMM itself from OBJECT_PID (BCC drops it likewise)
        if getuid() != 0 { fields.insert(("OBJECT_COMM", comm), at: 3) }
        return fields
    }
}
