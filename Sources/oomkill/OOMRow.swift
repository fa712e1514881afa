import BPFEvents
import LoaderCore

/// One OOM kill: the event, the victim as shown, /proc/loadavg when it was printed, and the
/// triggering task's user stack, resolved at once (the task may be the victim, soon gone).
public struct OOMRow {
    let event: oomkill_event
    let victimPID: UInt32
    /// nil when only the victim's thread ID was known and the thread is gone.
    let victimComm: String?
    let loadAverage: String
    /// The memory the OOM killer weighed, in pages; nil where the probe does not see it.
    var pages: UInt64? { event.pages == OOMKILL_UNKNOWN_PAGES ? nil : event.pages }
    /// nil when the kernel could not take the stack.
    let frames: [(address: UInt64, frame: Frame)]?

    init?(_ record: UnsafeRawBufferPointer, loadAverage: String) {
        guard record.count >= MemoryLayout<oomkill_event>.size else { return nil }
        let e = record.loadUnaligned(as: oomkill_event.self)
        event = e
        self.loadAverage = loadAverage
        if e.victim == UInt32(OOMKILL_VICTIM_TID) {
            (victimPID, victimComm) = Self.thread(e.tpid)
        } else {
            (victimPID, victimComm) = (e.tpid, KernelString.from(tuple: e.tcomm))
        }
        if e.stack_size < 0 {
            frames = nil
        } else {
            let depth = min(Int(e.stack_size) / 8, Int(TOOLS_MAX_STACK_DEPTH))
            let addresses = withUnsafeBytes(of: e.user_stack) { Array($0.bindMemory(to: UInt64.self).prefix(depth)) }
            // a fresh table per kill: PIDs are reused between OOMs far apart
            let symbols = UserSymbols()
            frames = addresses.filter { $0 != 0 }.map { ($0, symbols.frame($0, pid: e.fpid)) }
        }
    }

    /// The process and name of thread `tid` (oom:mark_victim before Linux 6.8 gives only the
    /// victim's thread ID), while it exists: the thread itself and nil once it is gone.
    static func thread(_ tid: UInt32) -> (UInt32, String?) {
        guard let status = ProcStatus("/proc/\(tid)/status") else { return (tid, nil) }
        let tgid = status["Tgid"].flatMap { UInt32($0) } ?? tid
        let name = status["Name"].map(String.init)
        return (tgid, name)
    }
}

/// /proc/loadavg, read when a row is printed, as BCC does. Tests give a fixed line.
final class LoadAverage {
    let fixed: String?

    init(fixed: String? = nil) { self.fixed = fixed }

    func line() -> String {
        fixed ?? (try? readFile("/proc/loadavg"))?.split(separator: "\n").first.map(String.init) ?? "?"
    }

    /// The 1, 5 and 15 minute averages of a /proc/loadavg line.
    static func averages(_ line: String) -> [Double] {
        line.split(separator: " ").prefix(3).compactMap { Double($0) }
    }
}
