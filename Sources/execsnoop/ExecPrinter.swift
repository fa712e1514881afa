import BPFEvents
import LoaderCore

/// Formats execs as BCC's execsnoop does (spec section 1), or as JSON lines.
final class ExecPrinter {
    private let output: TableOutput
    private let filters: ExecFilters
    private let startNs = Clock.monotonicNs()
    private var warnedCut = false
    // The options, read once: property-wrapper getters are too slow for every event.
    private let time, timestamp, printUID, printPcomm, printCPU, fails, quote: Bool
    private let maxArgSize: Int

    init(options: ExecSnoop, filters: ExecFilters) {
        self.filters = filters
        (time, timestamp, printUID, printPcomm, printCPU) =
            (options.time, options.timestamp, options.printUID, options.printPcomm, options.printCPU)
        (fails, quote, maxArgSize) = (options.fails, options.quote, options.maxArgSize)
        var columns: [Column] = []
        if options.time { columns.append(Column("TIME", header: "%-9s", row: "%-9s")) }
        if options.timestamp { columns.append(Column("TIME(s)", header: "%-8s", row: "%-8.3f")) }
        if options.printUID { columns.append(Column("UID", header: "%-6s", row: "%-6d")) }
        columns.append(Column("COMM", header: "%-16s ", row: "%-16s "))
        columns.append(Column("PID", header: "%-7s ", row: "%-7d "))
        if options.printPcomm { columns.append(Column("PCOMM", header: "%-16s ", row: "%-16s ")) }
        columns.append(Column("PPID", header: "%-7s ", row: "%-7s "))
        if options.printCPU { columns.append(Column("CPU", header: "%-4s ", row: "%-4d ")) }
        columns.append(Column("RET", header: "%3s ", row: "%3d "))
        columns.append(Column("ARGS", header: "%s", row: "%s"))
        output = TableOutput(columns, json: options.common.json)
    }

    var header: String { output.header }

    func printHeader() { output.printHeader() }

    func print(_ exec: Exec) {
        let e = exec.exit
        if e.retval != 0 && !fails { return }

        var args = exec.args
        if exec.moreArgs { args.append("...") }
        let comm = exec.comm
        // -l sees the raw list, before -q's quotes and the escapes, as BCC's does
        guard filters.keep(comm: comm, args: exec.args, listed: args) else { return }
        // a newline shows as `\n` (BCC's escape), other control characters as `\xNN` (the table's)
        let shown = quote ? args.map { "\"" + $0.quoteEscaped + "\"" } : args
        let argvText = shown.joined(separator: " ")

        if exec.argCut && !warnedCut {
            warnedCut = true
            Diagnostics.line("execsnoop: an argument of \(TerminalText.escaped(comm)) (PID \(e.pid)) longer than \(maxArgSize) bytes was cut; "
                             + "raise --max-arg-size (up to \(EXECSNOOP_MAX_ARG_SIZE)) to see it whole")
        }

        var cells: [Cell] = []
        cells.reserveCapacity(10)
        if time { cells.append(.text(Clock.localTime())) }
        if timestamp { cells.append(.double(Clock.difference(e.ts_ns, since: startNs) / 1e9)) }
        if printUID { cells.append(.int(Int64(e.uid))) }
        cells.append(.text(comm))
        cells.append(.int(Int64(e.pid)))
        if printPcomm { cells.append(.text(exec.pcomm)) }
        cells.append(.optionalInt(e.ppid == 0 ? nil : Int64(e.ppid), display: e.ppid == 0 ? "?" : String(e.ppid)))
        if printCPU { cells.append(.int(Int64(e.cpu))) }
        cells.append(.int(Int64(e.retval)))
        cells.append(.list(display: argvText, items: args))

        output.print(cells, extra: [("args_truncated", .bool(exec.moreArgs || exec.argCut))])
    }
}
