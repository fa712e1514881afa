import ArgumentParser
import BPFEvents
import LoaderCore

/// tcpretrans: BCC's options, columns and count mode; the core does the rest.
public struct TCPRetrans: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "tcpretrans",
        abstract: "Trace TCP retransmits",
        discussion: """
        examples:
            ./tcpretrans           # trace TCP retransmits
            ./tcpretrans -s        # include TCP sequence numbers
            ./tcpretrans -l        # include TLP attempts
            ./tcpretrans -4        # trace IPv4 family only
            ./tcpretrans -6        # trace IPv6 family only
            ./tcpretrans -c        # count retransmits per flow, printed at Ctrl-C
        """)

    @Flag(name: [.customShort("s"), .customLong("sequence")], help: "display TCP sequence numbers")
    var sequence = false

    @Flag(name: [.customShort("l"), .customLong("lossprobe")], help: "include tail loss probe attempts")
    var lossProbe = false

    @Flag(name: [.customShort("c"), .customLong("count")], help: "count occurred retransmits per flow")
    var count = false

    @OptionGroup var family: FamilyOptions

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public init() {}

    public static let object = EmbeddedObject(name: "tcpretrans", base64: embeddedBPFObjectBase64)
    public static let banner: String? = "Tracing retransmits ... Hit Ctrl-C to end"

    public typealias Row = (event: tcpretrans_event, flow: TCPFlow)

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<tcpretrans_event>.size else { return nil }
        let e = record.loadUnaligned(as: tcpretrans_event.self)
        return (e, TCPFlow(e.flow))
    }

    public func validate() throws {
        if count && exportOptions.active {
            throw ValidationError("argument -c/--count: not allowed with argument \(exportOptions.optionName) (which counts by state and type)")
        }
    }

    /// --prometheus: retransmits by the socket's state and kind (retransmit, or tail loss probe).
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("tcpretrans_retransmits_total", help: "TCP retransmits by socket state and type (retransmit or loss_probe)",
                    labels: ["state", "type"]) { row, _ in
            [TCPState.name(Int(row.event.state)), row.event.type == UInt32(TCPRETRANS_LOSS_PROBE) ? "loss_probe" : "retransmit"]
        },
    ]

    public static let columns: [EventColumn<TCPRetrans, Row>] = [
        EventColumn("TIME", .both("%-8s ")) { _, context in .text(context.localTime()) },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("IP", ColumnFormat("%-2s ", "%-2d ")) { row, _ in .int(Int64(row.flow.version)) },
        EventColumn("LADDR:LPORT", .both("%-20s "), json: "") { row, _ in .text("\(row.flow.local):\(row.flow.localPort)") },
        EventColumn("T", .both("%1s> "), json: "type") { row, _ in .text(row.event.type == UInt32(TCPRETRANS_LOSS_PROBE) ? "L" : "R") },
        EventColumn("RADDR:RPORT", .both("%-20s"), json: "") { row, _ in .text("\(row.flow.remote):\(row.flow.remotePort)") },
        // BCC widens STATE when SEQ follows it
        EventColumn("STATE", ColumnFormat(" %-4s", " %s"), layouts: ["seq": ColumnFormat(" %-12s", " %-12s")]) { row, _ in
            .text(TCPState.name(Int(row.event.state)))
        },
        EventColumn("SEQ", ColumnFormat(" %-10s", " %s"), with: "-s", \.sequence) { row, _ in
            .optionalInt(Int64(row.event.seq), display: String(row.event.seq))
        },
    ]

    public static let jsonFields: [JSONField<TCPRetrans, Row>] = TCPFlow.jsonFields { $0.flow }

    public static let countMode: CountModeInfo? = CountModeInfo(
        option: "-c", header: "LADDR:LPORT               RADDR:RPORT               RETRANSMITS",
        jsonKeys: ["timestamp", "laddr", "lport", "raddr", "rport", "retransmits"])

    public var layout: String { sequence ? "seq" : "" }

    public func bpfConfig() throws -> tcpretrans_cfg {
        var cfg = tcpretrans_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_family = family.bpfFamily
        cfg.count_mode = count ? 1 : 0
        return cfg
    }

    /// The flow counts are -c's alone: without it the table need not hold 65,536 flows.
    public func prepareMaps(_ setup: inout MapSetup) throws {
        if !count { setup.size("counts", 1) }
    }

    public func run() throws {
        let bpf = try start()
        guard count else { return try stream(bpf) }
        common.announce(Self.banner ?? "")
        let counts = try bpf.map("counts")
        try IntervalLoop.run(interval: 99_999_999, count: 1, loaded: bpf) {
            printCounts(try TCPFlow.counts(counts, descending: false))
        }
    }

    /// -c, on Ctrl-C: retransmits per flow, fewest first, IPv4 then IPv6.
    func printCounts(_ counts: [(flow: TCPFlow, count: UInt64)]) {
        let out = OutputSink.stdout
        if !common.json {
            out.writeLine(PyFormat("\n%-25s %-25s %-10s")(.text("LADDR:LPORT"), .text("RADDR:RPORT"), .text("RETRANSMITS")))
        }
        let row = PyFormat("%-20s <-> %-20s %10d")
        for (flow, count) in counts {
            if common.json {
                out.writeLine(JSONValue.object([("timestamp", .string(Clock.timestamp()))] + flow.jsonMembers
                                               + [("retransmits", .int(Int64(count)))]).serialized)
            } else {
                out.writeLine(row(.text("[\(flow.local)]#\(flow.localPort)"), .text("[\(flow.remote)]#\(flow.remotePort)"), .int(Int64(count))))
            }
        }
    }

    public static let planOptions = ["-l"]

    public var plan: AttachPlan {
        var plan: AttachPlan = [
            .oneOf("retransmits", [
                ProbeCandidate(.rawTracepoint("tcp_retransmit_skb"), program: "raw_retransmit"),
                ProbeCandidate(.tracepoint(category: "tcp", name: "tcp_retransmit_skb"), program: "tp_retransmit"),
            ]),
        ]
        if lossProbe {
            plan.append(.oneOf("tail loss probes", [
                ProbeCandidate(.fentry("tcp_send_loss_probe"), program: "fentry_loss_probe"),
                ProbeCandidate(.kprobe("tcp_send_loss_probe"), program: "kprobe_loss_probe"),
            ], unavailable: "can't use -l: tail loss probes have no tracepoint, and this kernel allows neither fentry nor "
                + "kprobes on tcp_send_loss_probe"))
        }
        return plan
    }
}
