import BPFEvents
import LoaderCore

/// One report: what each system call (or process, or container) added since the previous one,
/// BCC's way.
final class SyscallReport {
    private let map: BPFMap
    private let lost: LostCounter
    private let deltas = HistogramDeltas<UInt64>()
    private let byProcess, latency, milliseconds, json: Bool
    private let top: Int
    /// --containers: counts by cgroup v2 ID, shown by container.
    private let names: ContainerNames?

    init(map: BPFMap, lost: LostCounter, options: SysCount) {
        (self.map, self.lost) = (map, lost)
        (byProcess, latency, milliseconds, json, top) = (options.process, options.latency, options.milliseconds, options.common.json, options.top)
        names = options.containers ? ContainerNames() : nil
    }

    /// Every key's count and total time, summed over the CPUs.
    private func totals() throws(BPFError) -> [(UInt64, [UInt64])] {
        let keys: [UInt64] = names != nil ? try map.keys(as: UInt64.self)
            : byProcess ? try map.keys(as: UInt32.self).map(UInt64.init) : Array(0..<UInt64(SYSCOUNT_MAX_SYSCALLS))
        var result: [(UInt64, [UInt64])] = []
        for key in keys {
            let perCPU = names != nil ? try map.lookupPerCPU(key, as: syscount_value.self)
                : try map.lookupPerCPU(UInt32(truncatingIfNeeded: key), as: syscount_value.self)
            let count = perCPU.reduce(UInt64(0)) { $0 &+ $1.count }
            if count > 0 { result.append((key, [count, perCPU.reduce(UInt64(0)) { $0 &+ $1.total_ns }])) }
        }
        return result
    }

    /// BCC's agg_colval: the call's name, or "PID    COMM" for -P; the container with --containers.
    private func label(_ key: UInt64) -> String {
        if let names { return TerminalText.escaped(names.name(key)) }
        guard byProcess else { return SyscallNames.shared.name(Int(key)) }
        return PyFormat("%-6d %-15s")(.int(Int64(key)), .terminalText(Self.comm(UInt32(truncatingIfNeeded: key))))
    }

    /// /proc/PID/comm, read at report time as BCC does; "[unknown]" once the process is gone.
    static func comm(_ pid: UInt32) -> String {
        (try? readFile("/proc/\(pid)/comm")).map { String($0.trimmed) } ?? "[unknown]"
    }

    func print() throws(BPFError) {
        // processes that made no call since the last report leave the table
        let changed = deltas.next(try totals(), map: byProcess || names != nil ? map : nil)
        let rows = changed.sorted { a, b in
            let (x, y) = latency ? (a.slots[1], b.slots[1]) : (a.slots[0], b.slots[0])
            return x != y ? x > y : a.key < b.key
        }.prefix(top).filter { names != nil || $0.key != UInt64(UInt32.max) }  // BCC skips that key after taking the top
        let out = OutputSink.stdout
        let time = Clock.localTime()
        if json {
            let now = Clock.timestamp()
            for row in rows {
                var members: [(String, JSONValue)] = [("timestamp", .string(now)), ("time", .string(time))]
                if let names {
                    members += ContainerIdentity.jsonMembers(names.identity(row.key))
                } else if byProcess {
                    members += [("pid", .int(Int64(row.key))), ("comm", .string(Self.comm(UInt32(truncatingIfNeeded: row.key))))]
                } else {
                    members.append(("syscall", .string(SyscallNames.shared.name(Int(row.key)))))
                }
                members.append(("count", .unsigned(row.slots[0])))
                if latency { members.append(("total_ms", .double(Double(row.slots[1]) / 1e6))) }
                out.writeLine(JSONValue.object(members).serialized)
            }
        } else {
            out.writeLine("[\(time)]")
            let column = names != nil ? "CONTAINER" : byProcess ? "PID    COMM" : "SYSCALL"
            if latency {
                out.writeLine(PyFormat("%-22s %8s %16s")(.text(column), .text("COUNT"), .text(milliseconds ? "TIME (ms)" : "TIME (us)")))
                let format = PyFormat(milliseconds ? "%-22s %8d %16.6f" : "%-22s %8d %16.3f")
                for row in rows {
                    out.writeLine(format(.text(label(row.key)), .unsigned(row.slots[0]), .double(Double(row.slots[1]) / (milliseconds ? 1e6 : 1e3))))
                }
            } else {
                out.writeLine(PyFormat("%-22s %8s")(.text(column), .text("COUNT")))
                for row in rows { out.writeLine(PyFormat("%-22s %8d")(.text(label(row.key)), .unsigned(row.slots[0]))) }
            }
            out.writeLine("")
        }
        let missed = lost.newlyLost()
        if missed > 0 {
            Diagnostics.line("syscount: \(missed) system calls were not counted (" + (names != nil ? "more cgroups than the table holds)" : byProcess ? "more processes than the table holds)" : "numbers beyond the table)"))
        }
    }

    /// -l: every name this architecture has, sorted, four to a line as BCC prints them.
    static func printList() {
        let names = SyscallNames.shared.all.values.sorted()
        stride(from: 0, to: names.count, by: 4).forEach { start in
            let line = names[start..<min(start + 4, names.count)].map { PyFormat("%-22s")(.text($0)) }.joined(separator: "   ")
            OutputSink.stdout.writeLine(line)
        }
    }
}
