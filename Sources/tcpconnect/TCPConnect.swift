import ArgumentParser
import BPFEvents
import LoaderCore

/// tcpconnect's options (BCC's names and meanings) and its run.
struct TCPConnect: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let pid, pid <= 0 || pid > Int(Int32.max) { throw ValidationError("argument -p/--pid: invalid PID value: '\(pid)'") }
        if let uid, uid < 0 || uid >= Int(TOOLS_INVALID_UID) { throw ValidationError("argument -u/--uid: invalid UID value: '\(uid)'") }
        if dns && count { throw ValidationError("argument -d/--dns: not allowed with argument -c/--count") }
    }

    func run() throws {
        if dns {
            throw BPFError(.invalidArgument, "-d/--dns is not supported: BCC finds the query by tracing libc's getaddrinfo() "
                           + "with uprobes and UDP receives with kprobes, which this tool does not do (and this kernel has no kprobes)")
        }
        var cfg = tcpconnect_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_tgid = UInt32(pid ?? 0)
        cfg.targ_uid = uid.map(UInt32.init) ?? TOOLS_INVALID_UID
        cfg.targ_family = family.bpfFamily
        cfg.filter_ports = ports == nil ? 0 : 1
        cfg.count_mode = count ? 1 : 0
        let wanted = ports?.ports ?? []

        let bpf = try ToolSession.start(tool: "tcpconnect", object: EmbeddedObject(name: "tcpconnect", base64: embeddedBPFObjectBase64),
                                        plan: Self.plan, config: cfg, common: common,
                                        maxEntries: wanted.isEmpty ? [] : [("ports", UInt32(wanted.count))],
                                        beforeAttach: { loaded throws(BPFError) in
            let map = try loaded.map("ports")
            for port in wanted { try map.update(port, UInt8(1)) }
        })
        let out = OutputSink.stdout
        // with --json stdout holds only JSON; the banner still tells a person the tool is ready
        if common.json { Diagnostics.line("Tracing connect ... Hit Ctrl-C to end") } else { out.writeLine("Tracing connect ... Hit Ctrl-C to end") }
        if count {
            let counts = try bpf.map("counts")
            try IntervalLoop.run(interval: 99_999_999, count: 1, loaded: bpf) {
                ConnectPrinter.printCounts(try TCPFlow.counts(counts, descending: true), json: common.json)
            }
            return
        }
        let printer = ConnectPrinter(options: self)
        let reader = try bpf.ringBuffer { printer.print($0) }
        printer.printHeader()
        try EventLoop.run(reader)
    }

    /// The SYN_SENT transition names the socket; the connect() return says it went out.
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
