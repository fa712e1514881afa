import ArgumentParser
import BPFEvents
import LoaderCore

/// -n and -l: regular expressions (Python `re.search` semantics for the usual patterns).
struct ExecFilters {
    let name: Regex<AnyRegexOutput>?
    let line: Regex<AnyRegexOutput>?

    init(name: String?, line: String?) throws {
        self.name = try name.map { try Self.compile($0, option: "-n/--name") }
        self.line = try line.map { try Self.compile($0, option: "-l/--line") }
    }

    private static func compile(_ pattern: String, option: String) throws -> Regex<AnyRegexOutput> {
        do { return try Regex(pattern) } catch {
            throw ValidationError("argument \(option): invalid regular expression '\(pattern)'")
        }
    }

    /// -n matches the command name or any argument, as BCC's help text says.
    func keep(comm: String, args: [String], argvText: String) -> Bool {
        if let name, !(comm.contains(name) || args.contains { $0.contains(name) }) { return false }
        if let line, !argvText.contains(line) { return false }
        return true
    }
}

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
        if quote { args = args.map { "\"" + $0.quoteEscaped + "\"" } }
        let argvText = args.joined(separator: " ").newlineEscaped
        let comm = exec.comm
        guard filters.keep(comm: comm, args: exec.args, argvText: argvText) else { return }

        if exec.argCut && !warnedCut {
            warnedCut = true
            Diagnostics.line("execsnoop: an argument longer than \(maxArgSize) bytes was cut; raise --max-arg-size (up to \(EXECSNOOP_MAX_ARG_SIZE)) to see it whole")
        }

        var cells: [Cell] = []
        cells.reserveCapacity(10)
        if time { cells.append(.text(Clock.localTime())) }
        if timestamp { cells.append(.double(Double(e.ts_ns &- startNs) / 1e9)) }
        if printUID { cells.append(.int(Int64(e.uid))) }
        cells.append(.text(comm))
        cells.append(.int(Int64(e.pid)))
        if printPcomm { cells.append(.text(exec.pcomm)) }
        cells.append(.optionalInt(e.ppid == 0 ? nil : Int64(e.ppid), display: e.ppid == 0 ? "?" : String(e.ppid)))
        if printCPU { cells.append(.int(Int64(e.cpu))) }
        cells.append(.int(Int64(e.retval)))
        cells.append(.list(display: argvText, items: exec.args + (exec.moreArgs ? ["..."] : [])))

        output.print(cells, extra: [("args_truncated", .bool(exec.moreArgs || exec.argCut))])
    }
}

extension String {
    /// For -q: `"` becomes `\"`.
    var quoteEscaped: String { replacingASCII("\"", with: "\\\"") }

    /// BCC's argument text: a newline shows as the two characters `\n`.
    var newlineEscaped: String { replacingASCII("\n", with: "\\n") }

    /// Faster than the generic `replacing(_:with:)`, and free when `target` does not occur.
    private func replacingASCII(_ target: Unicode.Scalar, with replacement: String) -> String {
        guard utf8.contains(UInt8(target.value)) else { return self }
        var out = ""
        out.reserveCapacity(utf8.count + 8)
        for scalar in unicodeScalars {
            if scalar == target { out += replacement } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }
}
