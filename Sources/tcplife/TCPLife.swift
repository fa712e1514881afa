import ArgumentParser
import BPFEvents
import LoaderCore

/// tcplife's options (BCC's names and meanings) and its run.
struct TCPLife: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @Flag(name: [.customShort("T"), .customLong("time")], help: "include time column on output (HH:MM:SS)")
    var time = false

    @Flag(name: [.customShort("t"), .customLong("timestamp")], help: "include timestamp on output (seconds)")
    var timestamp = false

    @Flag(name: [.customShort("w"), .customLong("wide")], help: "wide column output (fits IPv6 addresses)")
    var wide = false

    @Flag(name: [.customShort("s"), .customLong("csv")], help: "comma separated values output")
    var csv = false

    @Option(name: [.customShort("p", allowingJoined: true), .customLong("pid")], help: ArgumentHelp("trace this PID only", valueName: "PID"))
    var pid: Int?

    @Option(name: [.customShort("L", allowingJoined: true), .customLong("localport")],
            help: ArgumentHelp("comma-separated list of local ports to trace.", valueName: "LOCALPORT"))
    var localPorts: PortList?

    @Option(name: [.customShort("D", allowingJoined: true), .customLong("remoteport")],
            help: ArgumentHelp("comma-separated list of remote ports to trace.", valueName: "REMOTEPORT"))
    var remotePorts: PortList?

    @OptionGroup var family: FamilyOptions

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let pid, pid <= 0 || pid > Int(Int32.max) { throw ValidationError("argument -p/--pid: invalid PID value: '\(pid)'") }
    }

    func run() throws {
        var cfg = tcplife_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_tgid = UInt32(pid ?? 0)
        cfg.targ_family = family.bpfFamily
        cfg.filter_lports = localPorts == nil ? 0 : 1
        cfg.filter_dports = remotePorts == nil ? 0 : 1
        let (local, remote) = (localPorts?.ports ?? [], remotePorts?.ports ?? [])
        var sizes: [(map: String, entries: UInt32)] = []
        if !local.isEmpty { sizes.append(("lports", UInt32(local.count))) }
        if !remote.isEmpty { sizes.append(("dports", UInt32(remote.count))) }

        let bpf = try ToolSession.start(tool: "tcplife", object: EmbeddedObject(name: "tcplife", base64: embeddedBPFObjectBase64),
                                        plan: Self.plan, config: cfg, common: common, maxEntries: sizes,
                                        beforeAttach: { loaded throws(BPFError) in
            for (name, ports) in [("lports", local), ("dports", remote)] where !ports.isEmpty {
                let map = try loaded.map(name)
                for port in ports { try map.update(port, UInt8(1)) }
            }
        })
        let printer = LifePrinter(options: self)
        let reader = try bpf.ringBuffer { printer.print($0) }
        printer.printHeader()
        try EventLoop.run(reader)
    }

    static let plan: AttachPlan = [
        .oneOf("TCP state changes", [
            ProbeCandidate(.rawTracepoint("inet_sock_set_state"), program: "raw_set_state"),
            ProbeCandidate(.tracepoint(category: "sock", name: "inet_sock_set_state"), program: "tp_set_state"),
        ]),
    ]
}
