import ArgumentParser
import BPFEvents
import LoaderCore

/// tcplife: BCC's options and columns; the core does the rest.
public struct TCPLife: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "tcplife",
        abstract: "Trace the lifespan of TCP sessions and summarize",
        discussion: """
        examples:
            ./tcplife           # trace all TCP connect()s
            ./tcplife -T        # include time column (HH:MM:SS)
            ./tcplife -w        # wider columns (fit IPv6)
            ./tcplife -stT      # csv output, with times & timestamps
            ./tcplife -p 181    # only trace PID 181
            ./tcplife -L 80     # only trace local port 80
            ./tcplife -L 80,81  # only trace local ports 80 and 81
            ./tcplife -D 80     # only trace remote port 80
            ./tcplife -4        # only trace IPv4 family
            ./tcplife -6        # only trace IPv6 family
        """)

    @OptionGroup var display: SessionLayoutOptions

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @OptionGroup var ports: PortFilterOptions

    @OptionGroup var family: FamilyOptions

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
    }

    public init() {}

    public static let object = EmbeddedObject(name: "tcplife", base64: embeddedBPFObjectBase64)

    public typealias Row = (event: tcplife_event, flow: TCPFlow)
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_us &* 1000 }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<tcplife_event>.size else { return nil }
        let e = record.loadUnaligned(as: tcplife_event.self)
        return (e, TCPFlow(e.flow))
    }

    public var layout: String { display.layout }

    /// BCC's three layouts (spec section 6): default, wide (-w) and CSV (-s).
    /// --prometheus: sessions, and the bytes they moved, by command name.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("tcplife_sessions_total", help: "TCP sessions ended, by command name", labels: ["comm"]) { row, _ in
            [KernelString.from(tuple: row.event.comm)]
        },
        EventMetric("tcplife_tx_bytes_total", help: "Bytes sent (acknowledged) by TCP sessions ended, by command name",
                    labels: ["comm"], values: { row, _ in [KernelString.from(tuple: row.event.comm)] }, amount: { $0.event.tx_bytes }),
        EventMetric("tcplife_rx_bytes_total", help: "Bytes received by TCP sessions ended, by command name",
                    labels: ["comm"], values: { row, _ in [KernelString.from(tuple: row.event.comm)] }, amount: { $0.event.rx_bytes }),
    ]

    public static let columns: [EventColumn<TCPLife, Row>] = {
        func csv(_ row: String, wide: ColumnFormat? = nil) -> [String: ColumnFormat] { SessionLayoutOptions.layouts(csv: row, wide: wide) }
        return [
            EventColumn("TIME", .both("%-8s "), layouts: csv("%s,"), with: "-T", \.display.time) { _, context in .text(context.localTime()) },
            EventColumn("TIME(s)", ColumnFormat("%-9s ", "%-9.6f "), layouts: csv("%.6f,"), with: "-t", \.display.timestamp) { row, context in
                .double(context.secondsSinceFirst(row.event.ts_us, unitsPerSecond: 1e6))
            },
            EventColumn("PID", ColumnFormat("%-5s ", "%-5d "), layouts: csv("%d,")) { row, _ in .int(Int64(row.event.pid)) },
            EventColumn("COMM", .both("%-10.10s "), layouts: csv("%s,", wide: .both("%-16.16s "))) { row, _ in
                .text(KernelString.from(tuple: row.event.comm))
            },
            // the default layout has no IP column: BCC formats an empty string there ("%s%-15s")
            EventColumn("IP", ColumnFormat("%s", "%.0s", untitled: true),
                        layouts: csv("%s,", wide: .both("%-2s "))) { row, _ in
                .optionalInt(Int64(row.flow.version), display: String(row.flow.version))
            },
            EventColumn("LADDR", .both("%-15s "), layouts: csv("%s,", wide: .both("%-39s "))) { row, _ in
                .text(row.flow.local.description)
            },
            EventColumn("LPORT", .both("%-5s "), layouts: csv("%s,")) { row, _ in
                .optionalInt(Int64(row.flow.localPort), display: String(row.flow.localPort))
            },
            EventColumn("RADDR", .both("%-15s "), layouts: csv("%s,", wide: .both("%-39s "))) { row, _ in
                .text(row.flow.remote.description)
            },
            EventColumn("RPORT", ColumnFormat("%-5s ", "%-5d "), layouts: csv("%d,")) { row, _ in .int(Int64(row.flow.remotePort)) },
            EventColumn("TX_KB", ColumnFormat("%5s ", "%5d "), layouts: csv("%d,", wide: ColumnFormat("%6s ", "%6d "))) { row, _ in
                .int(Int64(row.event.tx_bytes / 1024))
            },
            EventColumn("RX_KB", ColumnFormat("%5s ", "%5d "), layouts: csv("%d,", wide: ColumnFormat("%6s ", "%6d "))) { row, _ in
                .int(Int64(row.event.rx_bytes / 1024))
            },
            EventColumn("MS", ColumnFormat("%s", "%.2f"), json: "duration_ms") { row, _ in .double(Double(row.event.span_us) / 1000) },
        ]
    }()

    public func bpfConfig() throws -> tcplife_cfg {
        var cfg = tcplife_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"))
        cfg.targ_family = family.bpfFamily
        (cfg.filter_lports, cfg.filter_dports) = ports.filterFlags
        return cfg
    }

    public func prepareMaps(_ setup: inout MapSetup) throws {
        ports.prepareMaps(&setup)
    }

    public var plan: AttachPlan { Self.plan }

    static let plan: AttachPlan = [
        .oneOf("TCP state changes", [
            ProbeCandidate(.rawTracepoint("inet_sock_set_state"), program: "raw_set_state"),
            ProbeCandidate(.tracepoint(category: "sock", name: "inet_sock_set_state"), program: "tp_set_state"),
        ]),
    ]
}
