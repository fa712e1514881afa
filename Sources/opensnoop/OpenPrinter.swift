import BPFEvents
import LoaderCore

/// Formats open events as BCC's opensnoop does (spec section 2), or as JSON lines.
final class OpenPrinter {
    private let output: TableOutput
    private var firstTimestampUs: UInt64?
    // The options, read once: property-wrapper getters are too slow for every event.
    private let timestamp, printUID, showTID, extendedFields, fullPath, failedOnly: Bool
    private let name: String?
    /// Bytes of a path shown: BCC's NAME_MAX buffer keeps 254 (255 for -F's absolute paths).
    private let maxPathSize: Int?
    private var warnedCut = false

    init(options: OpenSnoop) {
        (timestamp, printUID, showTID, extendedFields) =
            (options.timestamp, options.printUID, options.tid != nil, options.extendedFields)
        (fullPath, name, failedOnly, maxPathSize) = (options.fullPath, options.name, options.failed, options.maxPathSize)
        var columns: [Column] = []
        if options.timestamp { columns.append(Column("TIME(s)", header: "%-14s", row: "%-14.9f")) }
        if options.printUID { columns.append(Column("UID", header: "%-6s", row: "%-6d")) }
        columns.append(Column(options.tid == nil ? "PID" : "TID", header: "%-6s ", row: "%-6d "))
        columns.append(Column("COMM", header: "%-16s ", row: "%-16s "))
        columns.append(Column("FD", header: "%4s ", row: "%4d "))
        columns.append(Column("ERR", header: "%3s ", row: "%3d "))
        if options.extendedFields {
            columns.append(Column("FLAGS", header: "%-8s ", row: "%08o "))
            columns.append(Column("MODE", header: "%-4s ", row: "%s "))
        }
        columns.append(Column("PATH", header: "%s", row: "%s"))
        output = TableOutput(columns, json: options.common.json)
    }

    var header: String { output.header }

    func printHeader() { output.printHeader() }

    func print(_ record: UnsafeRawBufferPointer) {
        let headerSize = MemoryLayout<opensnoop_event>.size
        guard record.count >= headerSize else { return }
        let e = record.loadUnaligned(as: opensnoop_event.self)
        let comm = KernelString.from(tuple: e.comm)
        // TIME(s) counts from the first event seen, printed or not, as BCC does
        let timestampUs = e.ts_ns / 1000
        let first = firstTimestampUs ?? timestampUs
        firstTimestampUs = first
        if let name, !comm.contains(name) { return }
        if failedOnly && e.ret >= 0 { return }

        let pathEnd = min(record.count, headerSize + Int(e.path_size))
        let pathBytes = UnsafeRawBufferPointer(rebasing: record[headerSize..<pathEnd])
        let pathLength = pathBytes.firstIndex(of: 0) ?? pathBytes.count
        let limit = maxPathSize ?? (fullPath && pathBytes.first == UInt8(ascii: "/") ? 255 : 254)
        if pathLength > limit && !warnedCut {
            warnedCut = true
            Diagnostics.line("opensnoop: a path opened by \(TerminalText.escaped(comm)) (PID \(e.pid)) longer than \(limit) bytes "
                             + "was cut, as BCC cuts it; raise --max-path-size (up to \(OpenSnoop.maxPathSize)) to see it whole")
        }
        let path = KernelString.from(bytes: UnsafeRawBufferPointer(rebasing: pathBytes.prefix(min(pathLength, limit))))
        let dirsEnd = min(record.count, pathEnd + Int(e.dirs_size))
        let dirs = KernelString.split(UnsafeRawBufferPointer(rebasing: record[pathEnd..<dirsEnd]))
        let shownPath = fullPath ? FullPath.join(path: path, dirsLeafFirst: dirs, flags: e.event_flags) : path


        var cells: [Cell] = []
        if timestamp { cells.append(.double(Clock.difference(timestampUs, since: first) / 1e6)) }
        if printUID { cells.append(.int(Int64(e.uid))) }
        cells.append(.int(Int64(showTID ? e.tid : e.pid)))
        cells.append(.text(comm))
        cells.append(.int(e.ret >= 0 ? Int64(e.ret) : -1))
        cells.append(.int(e.ret >= 0 ? 0 : -Int64(e.ret)))
        if extendedFields {
            cells.append(.int(Int64(e.flags)))
            let hasMode = e.mode != 0 || e.flags & OpenFlags.O_CREAT != 0
                || e.flags & OpenFlags.O_TMPFILE == OpenFlags.O_TMPFILE
            cells.append(hasMode ? .optionalInt(Int64(e.mode), display: PyFormat("%04o")(.int(Int64(e.mode))))
                                 : .optionalInt(nil, display: "n/a "))
        }
        cells.append(.text(shownPath))

        output.print(cells)
    }
}

/// -F: a relative path made absolute from the directory names the BPF side walked.
enum FullPath {
    static func join(path: String, dirsLeafFirst dirs: [String], flags: UInt32) -> String {
        if path.hasPrefix("/") { return path }
        let prefix = (flags & OPENSNOOP_F_DIR_CUT != 0 ? "..." : "") + "/" + dirs.reversed().joined(separator: "/")
        if flags & OPENSNOOP_F_DIR_FROM_FILE != 0 { return prefix }
        if flags & OPENSNOOP_F_DIR_FROM_BASE != 0 { return prefix.hasSuffix("/") ? prefix + path : prefix + "/" + path }
        return path
    }
}
