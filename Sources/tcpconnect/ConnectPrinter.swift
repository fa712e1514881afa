import BPFEvents
import LoaderCore

/// Formats connect events as BCC's tcpconnect does (spec section 5), or as JSON lines.
final class ConnectPrinter {
    private let output: TableOutput
    private let timestamp, printUID, lport: Bool
    private var firstTimestampUs: UInt64?

    init(options: TCPConnect) {
        (timestamp, printUID, lport) = (options.timestamp, options.printUID, options.lport)
        var columns: [Column] = []
        if timestamp { columns.append(Column("TIME(s)", header: "%-9s", row: "%-9.3f")) }
        if printUID { columns.append(Column("UID", header: "%-6s", row: "%-6d")) }
        columns.append(Column("PID", header: "%-7s ", row: "%-7d "))
        columns.append(Column("COMM", header: "%-12s ", row: "%-12.12s "))
        columns.append(Column("IP", header: "%-2s ", row: "%-2d "))
        columns.append(Column("SADDR", header: "%-16s ", row: "%-16s "))
        if lport { columns.append(Column("LPORT", header: "%-6s ", row: "%-6d ")) }
        columns.append(Column("DADDR", header: "%-16s ", row: "%-16s "))
        // BCC's row adds " %s" (the empty DNS query) after the port: a trailing space
        columns.append(Column("DPORT", header: "%-6s", row: "%-6d "))
        output = TableOutput(columns, json: options.common.json)
    }

    var header: String { output.header }

    func printHeader() { output.printHeader() }

    func print(_ record: UnsafeRawBufferPointer) {
        guard record.count >= MemoryLayout<tcpconnect_event>.size else { return }
        let e = record.loadUnaligned(as: tcpconnect_event.self)
        let flow = TCPFlow(e.flow)
        let first = firstTimestampUs ?? e.ts_us
        firstTimestampUs = first
        var cells: [Cell] = []
        if timestamp { cells.append(.double(Clock.difference(e.ts_us, since: first) / 1e6)) }
        if printUID { cells.append(.int(Int64(e.uid))) }
        cells += [.int(Int64(e.pid)), .text(KernelString.from(tuple: e.comm)), .int(Int64(flow.version)),
                  .text(flow.local.description)]
        if lport { cells.append(.int(Int64(flow.localPort))) }
        cells += [.text(flow.remote.description), .int(Int64(flow.remotePort))]
        output.print(cells)
    }

    /// -c, on Ctrl-C: connects per (local address, remote address, remote port), most first.
    static func printCounts(_ counts: [(flow: TCPFlow, count: UInt64)], json: Bool) {
        let out = OutputSink.stdout
        if !json { out.writeLine(PyFormat("\n%-25s %-25s %-20s %-10s")(.text("LADDR"), .text("RADDR"), .text("RPORT"), .text("CONNECTS"))) }
        let row = PyFormat("%-25s %-25s %-20s %-10d")
        for (flow, count) in counts {
            if json {
                out.writeLine(JSONValue.object([("laddr", .string(flow.local.description)), ("raddr", .string(flow.remote.description)),
                                                ("rport", .int(Int64(flow.remotePort))), ("connects", .int(Int64(count)))]).serialized)
            } else {
                out.writeLine(row(.text(flow.local.description), .text(flow.remote.description), .text(String(flow.remotePort)), .int(Int64(count))))
            }
        }
    }
}
