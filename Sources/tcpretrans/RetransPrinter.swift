import BPFEvents
import LoaderCore

/// Formats retransmits as BCC's tcpretrans does (spec section 7), or as JSON lines.
final class RetransPrinter {
    private let output: TableOutput
    private let sequence: Bool

    init(options: TCPRetrans) {
        sequence = options.sequence
        var columns = [Column("TIME", header: "%-8s ", row: "%-8s "), Column("PID", header: "%-7s ", row: "%-7d "),
                       Column("IP", header: "%-2s ", row: "%-2d "), Column("LADDR:LPORT", header: "%-20s ", row: "%-20s "),
                       Column("T", header: "%1s> ", row: "%1s> "), Column("RADDR:RPORT", header: "%-20s", row: "%-20s")]
        if sequence {
            columns += [Column("STATE", header: " %-12s", row: " %-12s"), Column("SEQ", header: " %-10s", row: " %s")]
        } else {
            columns.append(Column("STATE", header: " %-4s", row: " %s"))
        }
        output = TableOutput(columns, json: options.common.json)
    }

    var header: String { output.header }

    func printHeader() { output.printHeader() }

    func print(_ record: UnsafeRawBufferPointer) {
        guard record.count >= MemoryLayout<tcpretrans_event>.size else { return }
        let e = record.loadUnaligned(as: tcpretrans_event.self)
        let flow = TCPFlow(e.flow)
        var cells: [Cell] = [.text(Clock.localTime()), .int(Int64(e.pid)), .int(Int64(flow.version)),
                             .text("\(flow.local):\(flow.localPort)"),
                             .text(e.type == UInt32(TCPRETRANS_LOSS_PROBE) ? "L" : "R"),
                             .text("\(flow.remote):\(flow.remotePort)"), .text(TCPState.name(Int(e.state)))]
        if sequence { cells.append(.optionalInt(Int64(e.seq), display: String(e.seq))) }
        output.print(cells, extra: [("laddr", .string(flow.local.description)), ("lport", .int(Int64(flow.localPort))),
                                    ("raddr", .string(flow.remote.description)), ("rport", .int(Int64(flow.remotePort)))])
    }

    /// -c, on Ctrl-C: retransmits per flow, fewest first, IPv4 then IPv6.
    static func printCounts(_ counts: [(flow: TCPFlow, count: UInt64)], json: Bool) {
        let out = OutputSink.stdout
        if !json {
            out.writeLine(PyFormat("\n%-25s %-25s %-10s")(.text("LADDR:LPORT"), .text("RADDR:RPORT"), .text("RETRANSMITS")))
        }
        let row = PyFormat("%-20s <-> %-20s %10d")
        for (flow, count) in counts {
            if json {
                out.writeLine(JSONValue.object([("laddr", .string(flow.local.description)), ("lport", .int(Int64(flow.localPort))),
                                                ("raddr", .string(flow.remote.description)), ("rport", .int(Int64(flow.remotePort))),
                                                ("retransmits", .int(Int64(count)))]).serialized)
            } else {
                out.writeLine(row(.text("[\(flow.local)]#\(flow.localPort)"), .text("[\(flow.remote)]#\(flow.remotePort)"), .int(Int64(count))))
            }
        }
    }
}
