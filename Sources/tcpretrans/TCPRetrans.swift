import ArgumentParser
import BPFEvents
import LoaderCore

/// tcpretrans's options (BCC's names and meanings) and its run.
struct TCPRetrans: ParsableCommand {
    static let configuration = CommandConfiguration(
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

    @OptionGroup var common: CommonOptions


    func run() throws {
        var cfg = tcpretrans_cfg()
        cfg.common = try common.bpfConfig()
        cfg.targ_family = family.bpfFamily
        cfg.count_mode = count ? 1 : 0
        let bpf = try ToolSession.start(tool: "tcpretrans", object: EmbeddedObject(name: "tcpretrans", base64: embeddedBPFObjectBase64),
                                        plan: Self.plan(lossProbes: lossProbe), config: cfg, common: common)
        let out = OutputSink.stdout
        // with --json stdout holds only JSON; the banner still tells a person the tool is ready
        if common.json { Diagnostics.line("Tracing retransmits ... Hit Ctrl-C to end") } else { out.writeLine("Tracing retransmits ... Hit Ctrl-C to end") }
        if count {
            let counts = try bpf.map("counts")
            try IntervalLoop.run(interval: 99_999_999, count: 1, loaded: bpf) {
                RetransPrinter.printCounts(try TCPFlow.counts(counts, descending: false), json: common.json)
            }
            return
        }
        let printer = RetransPrinter(options: self)
        let reader = try bpf.ringBuffer { printer.print($0) }
        printer.printHeader()
        try EventLoop.run(reader)
    }

    static func plan(lossProbes: Bool) -> AttachPlan {
        var plan: AttachPlan = [
            .oneOf("retransmits", [
                ProbeCandidate(.rawTracepoint("tcp_retransmit_skb"), program: "raw_retransmit"),
                ProbeCandidate(.tracepoint(category: "tcp", name: "tcp_retransmit_skb"), program: "tp_retransmit"),
            ]),
        ]
        if lossProbes {
            plan.append(.oneOf("tail loss probes", [
                ProbeCandidate(.fentry("tcp_send_loss_probe"), program: "fentry_loss_probe"),
                ProbeCandidate(.kprobe("tcp_send_loss_probe"), program: "kprobe_loss_probe"),
            ], unavailable: "can't use -l: tail loss probes have no tracepoint, and this kernel allows neither fentry nor "
                + "kprobes on tcp_send_loss_probe"))
        }
        return plan
    }
}
