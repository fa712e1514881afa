import BPFEvents
import LoaderCore

/// Formats closed sessions as BCC's tcplife does (spec section 6): default, wide (-w) or CSV
/// (-s, which wins over -w), or JSON lines.
final class LifePrinter {
    private let output: TableOutput
    private let time, timestamp, csv, wide: Bool
    private var firstTimestampUs: UInt64?

    init(options: TCPLife) {
        (time, timestamp, csv) = (options.time, options.timestamp, options.csv)
        wide = options.wide && !options.csv
        var columns: [Column] = []
        if csv {
            if time { columns.append(Column("TIME", header: "%s,", row: "%s,")) }
            if timestamp { columns.append(Column("TIME(s)", header: "%s,", row: "%.6f,")) }
            for (title, row) in [("PID", "%d,"), ("COMM", "%s,"), ("IP", "%s,"), ("LADDR", "%s,"), ("LPORT", "%s,"),
                                 ("RADDR", "%s,"), ("RPORT", "%d,"), ("TX_KB", "%d,"), ("RX_KB", "%d,"), ("MS", "%.2f")] {
                columns.append(Column(title, header: title == "MS" ? "%s" : "%s,", row: row))
            }
        } else {
            if time { columns.append(Column("TIME", header: "%-8s ", row: "%-8s ")) }
            if timestamp { columns.append(Column("TIME(s)", header: "%-9s ", row: "%-9.6f ")) }
            if wide {
                columns += [Column("PID", header: "%-5s ", row: "%-5d "), Column("COMM", header: "%-16.16s ", row: "%-16.16s "),
                            Column("IP", header: "%-2s ", row: "%-2s "), Column("LADDR", header: "%-39s ", row: "%-39s "),
                            Column("LPORT", header: "%-5s ", row: "%-5s "), Column("RADDR", header: "%-39s ", row: "%-39s "),
                            Column("RPORT", header: "%-5s ", row: "%-5d "), Column("TX_KB", header: "%6s ", row: "%6d "),
                            Column("RX_KB", header: "%6s ", row: "%6d "), Column("MS", header: "%s", row: "%.2f")]
            } else {
                // no IP column: BCC formats an empty string there ("%s%-15s")
                columns += [Column("PID", header: "%-5s ", row: "%-5d "), Column("COMM", header: "%-10.10s ", row: "%-10.10s "),
                            Column("IP", header: "%s", row: "%s", untitled: true), Column("LADDR", header: "%-15s ", row: "%-15s "),
                            Column("LPORT", header: "%-5s ", row: "%-5d "), Column("RADDR", header: "%-15s ", row: "%-15s "),
                            Column("RPORT", header: "%-5s ", row: "%-5d "), Column("TX_KB", header: "%5s ", row: "%5d "),
                            Column("RX_KB", header: "%5s ", row: "%5d "), Column("MS", header: "%s", row: "%.2f")]
            }
        }
        output = TableOutput(columns, json: options.common.json)
    }

    var header: String { output.header }

    func printHeader() { output.printHeader() }

    func print(_ record: UnsafeRawBufferPointer) {
        guard record.count >= MemoryLayout<tcplife_event>.size else { return }
        let e = record.loadUnaligned(as: tcplife_event.self)
        let flow = TCPFlow(e.flow)
        let first = firstTimestampUs ?? e.ts_us
        firstTimestampUs = first
        var cells: [Cell] = []
        if time { cells.append(.text(Clock.localTime())) }
        if timestamp { cells.append(.double(Clock.difference(e.ts_us, since: first) / 1e6)) }
        let ip: Cell = csv || wide ? .optionalInt(Int64(flow.version), display: String(flow.version))
            : .optionalInt(Int64(flow.version), display: "")
        let lport: Cell = csv || wide ? .optionalInt(Int64(flow.localPort), display: String(flow.localPort)) : .int(Int64(flow.localPort))
        cells += [.int(Int64(e.pid)), .text(KernelString.from(tuple: e.comm)), ip, .text(flow.local.description), lport,
                  .text(flow.remote.description), .int(Int64(flow.remotePort)),
                  .int(Int64(e.tx_bytes / 1024)), .int(Int64(e.rx_bytes / 1024)), .double(Double(e.span_us) / 1000)]
        output.print(cells)
    }
}
