import BPFEvents
import LoaderCore

/// One open as a row: the event, its command, the path as shown, and seconds since the first
/// open seen (BCC's clock counts every open, shown or not).
public struct OpenRow {
    let event: opensnoop_event
    let comm: String
    let path: String
    let seconds: Double
}

/// What decoding keeps for a run: the options it reads per event (read once: property-wrapper
/// getters cost on every event) and whether the path-cut note was given.
final class OpenDecoder {
    let fullPath, failedOnly: Bool
    let name: String?
    /// Bytes of a path shown: BCC's NAME_MAX buffer keeps 254 (255 for -F's absolute paths).
    let maxPathSize: Int?
    var warnedCut = false

    init(_ options: OpenSnoop) {
        (fullPath, name, failedOnly, maxPathSize) = (options.fullPath, options.name, options.failed, options.maxPathSize)
    }

    func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> OpenRow? {
        let headerSize = MemoryLayout<opensnoop_event>.size
        guard record.count >= headerSize else { return nil }
        let e = record.loadUnaligned(as: opensnoop_event.self)
        let comm = KernelString.from(tuple: e.comm)
        // TIME(s) counts from the first event seen, printed or not, as BCC does
        let seconds = context.secondsSinceFirst(e.ts_ns / 1000, unitsPerSecond: 1e6)
        if let name, !comm.contains(name) { return nil }
        if failedOnly && e.ret >= 0 { return nil }

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
        return OpenRow(event: e, comm: comm, path: shownPath, seconds: seconds)
    }
}

extension OpenSnoop {
    public typealias Row = OpenRow

    /// --prometheus: opens by result ("ok", or the errno's name) and command name.
    public static let eventMetrics: [EventMetric<OpenRow>] = [
        EventMetric("opensnoop_opens_total", help: "open() calls by command name and result (ok, or the error's name)",
                    labels: ["comm", "result"]) { row, _ in
            let ret = row.event.ret
            return [row.comm, ret >= 0 ? "ok" : ErrnoNames.name(0 &- ret) ?? String(0 &- ret)]
        },
    ]
    /// 0 when nothing asked for it (see bpfConfig): then the time it is printed.
    public static func eventTimeNs(_ row: OpenRow) -> UInt64? { row.event.ts_ns == 0 ? nil : row.event.ts_ns }

    public func decode(_ record: UnsafeRawBufferPointer, _ context: RowContext) -> OpenRow? {
        context.state { OpenDecoder(self) }.decode(record, context)
    }

    /// BCC's columns (spec section 2).
    public static let columns: [EventColumn<OpenSnoop, OpenRow>] = [
        EventColumn("TIME(s)", ColumnFormat("%-14s", "%-14.9f"), with: "-T", \.timestamp) { row, _ in .double(row.seconds) },
        EventColumn("UID", ColumnFormat("%-6s", "%-6d"), with: "-U", \.printUID) { row, _ in .int(Int64(row.event.uid)) },
        EventColumn("PID", ColumnFormat("%-6s ", "%-6d "), shownWith: nil, when: { $0.tid == nil }) { row, _ in
            .int(Int64(row.event.pid))
        },
        EventColumn("TID", ColumnFormat("%-6s ", "%-6d "), shownWith: "-t", when: { $0.tid != nil }) { row, _ in
            .int(Int64(row.event.tid))
        },
        EventColumn("COMM", .both("%-16s ")) { row, _ in .text(row.comm) },
        EventColumn("FD", ColumnFormat("%4s ", "%4d ")) { row, _ in .int(row.event.ret >= 0 ? Int64(row.event.ret) : -1) },
        EventColumn("ERR", ColumnFormat("%3s ", "%3d ")) { row, _ in .int(row.event.ret >= 0 ? 0 : -Int64(row.event.ret)) },
        EventColumn("FLAGS", ColumnFormat("%-8s ", "%08o "), with: "-e", \.extendedFields) { row, _ in .int(Int64(row.event.flags)) },
        EventColumn("MODE", ColumnFormat("%-4s ", "%s "), with: "-e", \.extendedFields) { row, _ in
            let e = row.event
            let hasMode = e.mode != 0 || e.flags & OpenFlags.O_CREAT != 0
                || e.flags & OpenFlags.O_TMPFILE == OpenFlags.O_TMPFILE
            return hasMode ? .optionalInt(Int64(e.mode), display: PyFormat("%04o")(.int(Int64(e.mode))))
                           : .optionalInt(nil, display: "n/a ")
        },
        EventColumn("PATH", .both("%s")) { row, _ in .text(row.path) },
    ]
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
