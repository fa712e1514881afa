import BPFEvents
import Foundation
import LoaderCore
@testable import oomkill

extension OOMKill: GoldenSampled {
    /// /proc/loadavg as the rows show it: fixed, so the golden file does not change.
    static func prepare(_ context: RowContext) {
        _ = context.state { LoadAverage(fixed: "0.99 0.39 0.30 3/282 22724") }
    }

    static var goldenRecords: [[UInt8]] {
        func kill(trigger: UInt32, fcomm: String, victim: UInt32, tcomm: String, pages: UInt64, stack: [UInt64]?,
                  byThread: Bool = false) -> [UInt8] {
            var e = oomkill_event()
            (e.ts_ns, e.pages, e.fpid, e.ftid, e.tpid) = (startNs + 1_000_000, pages, trigger, trigger, victim)
            e.victim = UInt32(byThread ? OOMKILL_VICTIM_TID : OOMKILL_VICTIM_TASK)
            set(&e.fcomm, fcomm)
            set(&e.tcomm, tcomm)
            e.stack_size = stack.map { Int32($0.count * 8) } ?? -14
            withUnsafeMutableBytes(of: &e.user_stack) { raw in
                for (i, address) in (stack ?? []).prefix(Int(TOOLS_MAX_STACK_DEPTH)).enumerated() {
                    raw.storeBytes(of: address, toByteOffset: i * 8, as: UInt64.self)
                }
            }
            return bytes(e)
        }
        // PIDs no process has: the frames are [unknown], the thread-only victim unknown too
        return [kill(trigger: 3_999_991, fcomm: "ntpd", victim: 3_999_992, tcomm: "perl", pages: 3_850_642, stack: [0x401000, 0x7f0000001000]),
                kill(trigger: 3_999_993, fcomm: "perl", victim: 3_999_993, tcomm: "perl", pages: 16384, stack: nil),
                kill(trigger: 3_999_994, fcomm: "dd\u{1b}[2J", victim: 3_999_995, tcomm: "x\"y\n", pages: OOMKILL_UNKNOWN_PAGES, stack: []),
                kill(trigger: 3_999_996, fcomm: "worker", victim: 3_999_997, tcomm: "", pages: UInt64.max - 1, stack: [1], byThread: true)]
    }
}
