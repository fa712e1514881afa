import BPFEvents
import LoaderCore

/// One exec as a row: the exec, and its arguments as listed (with "..." when more were cut).
public struct ExecRow {
    let exec: Exec
    let args: [String]
    let argvText: String
}

/// What decoding keeps for a run: the records being joined, the filters and the options it
/// reads per event (read once: property-wrapper getters cost on every event).
final class ExecDecoder {
    let assembler: ExecAssembler
    let filters: ExecFilters
    let fails, quote: Bool
    let maxArgSize: Int
    var warnedCut = false

    init(_ options: ExecSnoop) throws {
        filters = try ExecFilters(name: options.name, line: options.line)
        assembler = ExecAssembler(maxArgs: options.maxArgs, maxArgSize: options.maxArgSize)
        // --prometheus counts failed execs too, by their return value
        (fails, quote, maxArgSize) = (options.fails || options.exportOptions.active, options.quote, options.maxArgSize)
    }

    func decode(_ record: UnsafeRawBufferPointer) -> ExecRow? {
        guard let exec = assembler.consume(record) else { return nil }
        let e = exec.exit
        if e.retval != 0 && !fails { return nil }
        var args = exec.args
        if exec.moreArgs { args.append("...") }
        let comm = exec.comm
        // -l sees the raw list, before -q's quotes and the escapes, as BCC's does
        guard filters.keep(comm: comm, args: exec.args, listed: args) else { return nil }
        if exec.argCut && !warnedCut {
            warnedCut = true
            Diagnostics.line("execsnoop: an argument of \(TerminalText.escaped(comm)) (PID \(e.pid)) longer than \(maxArgSize) bytes was cut; "
                             + "raise --max-arg-size (up to \(EXECSNOOP_MAX_ARG_SIZE)) to see it whole")
        }
        // a newline shows as `\n` (BCC's escape), other control characters as `\xNN` (the table's)
        let shown = quote ? args.map { "\"" + $0.quoteEscaped + "\"" } : args
        return ExecRow(exec: exec, args: args, argvText: shown.joined(separator: " "))
    }
}

extension ExecSnoop {
    public typealias Row = ExecRow
    public static func eventTimeNs(_ row: ExecRow) -> UInt64? { row.exec.exit.ts_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> ExecRow? {
        // the filters were compiled by validate(): they cannot fail here
        guard let decoder = try? context.state({ try ExecDecoder(self) }) else { return nil }
        return decoder.decode(record)
    }

    /// --prometheus: execs by command name and return value (0, or the negative errno).
    public static let eventMetrics: [EventMetric<ExecRow>] = [
        EventMetric("execsnoop_execs_total", help: "exec() calls by the new program's command name and return value",
                    labels: ["comm", "ret"]) { row, _ in [row.exec.comm, String(row.exec.exit.retval)] },
    ]

    /// BCC's columns (spec section 1).
    public static let columns: [EventColumn<ExecSnoop, ExecRow>] = [
        EventColumn("TIME", .both("%-9s"), with: "-T", \.time) { _, context in .text(context.localTime()) },
        EventColumn("TIME(s)", ColumnFormat("%-8s", "%-8.3f"), with: "-t", \.timestamp) { row, context in
            .double(Clock.difference(row.exec.exit.ts_ns, since: context.startNs) / 1e9)
        },
        EventColumn("UID", ColumnFormat("%-6s", "%-6d"), with: "-U", \.printUID) { row, _ in .int(Int64(row.exec.exit.uid)) },
        EventColumn("COMM", .both("%-16s ")) { row, _ in .text(row.exec.comm) },
        EventColumn("PID", ColumnFormat("%-7s ", "%-7d ")) { row, _ in .int(Int64(row.exec.exit.pid)) },
        EventColumn("PCOMM", .both("%-16s "), with: "-M", \.printPcomm) { row, _ in .text(row.exec.pcomm) },
        EventColumn("PPID", .both("%-7s ")) { row, _ in
            let ppid = row.exec.exit.ppid
            return .optionalInt(ppid == 0 ? nil : Int64(ppid), display: ppid == 0 ? "?" : String(ppid))
        },
        EventColumn("CPU", ColumnFormat("%-4s ", "%-4d "), with: "-C", \.printCPU) { row, _ in .int(Int64(row.exec.exit.cpu)) },
        EventColumn("RET", ColumnFormat("%3s ", "%3d ")) { row, _ in .int(Int64(row.exec.exit.retval)) },
        EventColumn("ARGS", .both("%s")) { row, _ in .list(display: row.argvText, items: row.args) },
    ]

    public static let jsonFields: [JSONField<ExecSnoop, ExecRow>] = [
        JSONField("args_truncated") { row, _ in .bool(row.exec.moreArgs || row.exec.argCut) },
    ]
}
