import ArgumentParser
import BPFEvents
import LoaderCore

/// tcpconnect's options (BCC's names and meanings) and its run.
public struct TCPConnect: StreamingTool {
    public static let configuration = CommandConfiguration(
        commandName: "tcpconnect",
        abstract: "Trace TCP connects",
        discussion: """
        examples:
            ./tcpconnect           # trace all TCP connect()s
            ./tcpconnect -t        # include timestamps
            ./tcpconnect -p 181    # only trace PID 181
            ./tcpconnect -P 80     # only trace port 80
            ./tcpconnect -P 80,81  # only trace port 80 and 81
            ./tcpconnect -4        # only trace IPv4 family
            ./tcpconnect -6        # only trace IPv6 family
            ./tcpconnect -U        # include UID
            ./tcpconnect -u 1000   # only trace UID 1000
            ./tcpconnect -c        # count connects per src ip and dest ip/port
            ./tcpconnect -L        # include LPORT while printing outputs
            ./tcpconnect --cgroup /sys/fs/cgroup/web  # only trace this cgroup
        """)

    @Flag(name: [.customShort("t"), .customLong("timestamp")], help: "include timestamp on output")
    var timestamp = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @Option(name: [.customShort("P", allowingJoined: true), .customLong("port")],
            help: ArgumentHelp("comma-separated list of destination ports to trace.", valueName: "PORT"))
    var ports: PortList?

    @OptionGroup var family: FamilyOptions

    @Flag(name: [.customShort("L"), .customLong("lport")], help: "include LPORT on output")
    var lport = false

    @Flag(name: [.customShort("U"), .customLong("print-uid")], help: "include UID on output")
    var printUID = false

    @Option(name: [.customShort("u", allowingJoined: true), .customLong("uid")], help: ArgumentHelp("trace this UID only", valueName: "UID"))
    var uid: Int?

    @Flag(name: [.customShort("c"), .customLong("count")], help: "count connects per src ip and dest ip/port")
    var count = false

    @Flag(name: [.customShort("d"), .customLong("dns")], help: "include likely DNS query associated with each connect (not supported)")
    var dns = false

    @OptionGroup var exportOptions: ExportOptions
    @OptionGroup var containerOptions: ContainerOptions
    public var containers: Bool { containerOptions.enabled }
    public static let cgroupID: (@Sendable (Row) -> UInt64)? = { $0.event.cgroup_id }
    public var exporting: ExportOptions? { exportOptions }

    @OptionGroup public var common: CommonOptions

    public func validate() throws {
        _ = try ArgumentLimits.taskID(pid, "-p/--pid")
        _ = try ArgumentLimits.userID(uid)
        if dns && count { throw ValidationError("argument -d/--dns: not allowed with argument -c/--count") }
    }

    public init() {}

    public static let object = EmbeddedObject(name: "tcpconnect", base64: embeddedBPFObjectBase64)
    public static let banner: String? = "Tracing connect ... Hit Ctrl-C to end"

    public typealias Row = (event: tcpconnect_event, flow: TCPFlow)

    /// --otlp: a connect's remote end is the server it connects to, its local end the client.
    public static let otlpAttributeNames = ["raddr": "server.address", "rport": "server.port",
                                            "laddr": "client.address", "lport": "client.port"]

    /// --prometheus: connects by destination port and IP version.
    public static let eventMetrics: [EventMetric<Row>] = [
        EventMetric("tcpconnect_connects_total", help: "TCP connects by destination port and IP version",
                    labels: ["dport", "ip"]) { row, _ in [String(row.flow.remotePort), String(row.flow.remote.version)] },
    ]
    public static func eventTimeNs(_ row: Row) -> UInt64? { row.event.ts_us &* 1000 }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> Row? {
        guard record.count >= MemoryLayout<tcpconnect_event>.size else { return nil }
        let e = record.loadUnaligned(as: tcpconnect_event.self)
        return (e, TCPFlow(e.flow))
    }

    public static let columns: [EventColumn<TCPConnect, Row>] = [
        EventColumn("TIME(s)", ColumnFormat("%-9s", "%-9.3f"), with: "-t", \.timestamp) { row, context in
            .double(context.secondsSinceFirst(row.event.ts_us, unitsPerSecond: 1e6))
        },
        EventColumn("UID", ColumnFormat("%-6s", "%-6d"), with: "-U", \.printUID) { row, _ in .int(Int64(row.event.uid)) },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.event.pid)) },
        EventColumn("COMM", ColumnFormat("%-12s ", "%-12.12s ")) { row, _ in .text(KernelString.from(tuple: row.event.comm)) },
        EventColumn("IP", ColumnFormat("%-2s ", "%-2d ")) { row, _ in .int(Int64(row.flow.version)) },
        EventColumn("SADDR", .both("%-16s "), json: "laddr") { row, _ in .text(row.flow.local.description) },
        EventColumn("LPORT", ColumnFormat("%-6s ", "%-6d "), with: "-L", \.lport) { row, _ in .int(Int64(row.flow.localPort)) },
        EventColumn("DADDR", .both("%-16s "), json: "raddr") { row, _ in .text(row.flow.remote.description) },
        // BCC's row adds " %s" (the empty DNS query) after the port: a trailing space
        EventColumn("DPORT", ColumnFormat("%-6s", "%-6d "), json: "rport") { row, _ in .int(Int64(row.flow.remotePort)) },
    ]

    public static let countMode: CountModeInfo? = CountModeInfo(
        option: "-c", header: "LADDR                     RADDR                     RPORT                CONNECTS  ",
        jsonKeys: ["timestamp", "laddr", "raddr", "rport", "connects"])

    public func bpfConfig() throws -> tcpconnect_cfg {
        var cfg = tcpconnect_cfg()
        cfg.common = try common.bpfConfig(pid: try ArgumentLimits.taskID(pid, "-p/--pid"), uid: try ArgumentLimits.userID(uid))
        cfg.targ_family = family.bpfFamily
        cfg.filter_ports = ports == nil ? 0 : 1
        cfg.count_mode = count ? 1 : 0
        return cfg
    }

    public func prepareMaps(_ setup: inout MapSetup) throws {
        setup.set("ports", ports?.ports ?? [])
        // the flow counts are -c's alone: without it the table need not hold 65,536 flows (8 MiB)
        if !count { setup.size("counts", 1) }
    }

    public func run() throws {
        if dns {
            throw BPFError(.invalidArgument, "-d/--dns is not supported: BCC finds the query by tracing libc's getaddrinfo() "
                           + "with uprobes and UDP receives with kprobes, which this tool does not do (and this kernel has no kprobes)")
        }
        let bpf = try start()
        guard count else { return try stream(bpf) }
        common.announce(Self.banner ?? "")
        let counts = try bpf.map("counts")
        try IntervalLoop.run(interval: 99_999_999, count: 1, loaded: bpf) {
            printCounts(try TCPFlow.counts(counts, descending: true))
        }
    }

    /// -c, on Ctrl-C: connects per (local address, remote address, remote port), most first.
    func printCounts(_ counts: [(flow: TCPFlow, count: UInt64)]) {
        let out = OutputSink.stdout
        if !common.json { out.writeLine(PyFormat("\n%-25s %-25s %-20s %-10s")(.text("LADDR"), .text("RADDR"), .text("RPORT"), .text("CONNECTS"))) }
        let row = PyFormat("%-25s %-25s %-20s %-10d")
        for (flow, count) in counts {
            if common.json {
                out.writeLine(JSONValue.object([("timestamp", .string(Clock.timestamp())), ("laddr", .string(flow.local.description)), ("raddr", .string(flow.remote.description)),
                                                ("rport", .int(Int64(flow.remotePort))), ("connects", .int(Int64(count)))]).serialized)
            } else {
                out.writeLine(row(.text(flow.local.description), .text(flow.remote.description), .text(String(flow.remotePort)), .int(Int64(count))))
            }
        }
    }

    /// The SYN_SENT transition names the socket; the connect() return says it went out.
    public var plan: AttachPlan { Self.plan }

    static let plan: AttachPlan = [
        .oneOf("connect starts (SYN_SENT)", [
            ProbeCandidate(.rawTracepoint("inet_sock_set_state"), program: "raw_set_state"),
            ProbeCandidate(.tracepoint(category: "sock", name: "inet_sock_set_state"), program: "tp_set_state"),
        ]),
        .oneOf("connect return", [
            ProbeCandidate(.tracepoint(category: "syscalls", name: "sys_exit_connect"), program: "tp_exit_connect"),
        ]),
    ]
}
