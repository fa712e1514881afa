import BPFEvents
import Foundation
import LoaderCore
import dbslower

extension DBSlower: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
        /// A slow query's record: the event, then its text (`claimed` overrides query_len).
        func query(pid: UInt32, atMs: UInt64, ms: Double, _ text: [UInt8], flags: UInt32 = 0, full: UInt32 = 0, claimed: UInt32? = nil) -> [UInt8] {
            var e = dbslower_event()
            e.start_ns = startNs + atMs * 1_000_000
            e.duration_ns = UInt64(ms * 1_000_000)
            (e.pid, e.query_len, e.flags, e.full_len) = (pid, claimed ?? UInt32(text.count), flags, full)
            return bytes(e) + text
        }
        let u = { (s: String) in Array(s.utf8) }
        return [
            query(pid: 25776, atMs: 1315, ms: 2000.999, u("call getproduct(97)")),
            query(pid: 25776, atMs: 3360, ms: 3.226, u("SELECT * FROM users\nWHERE id = 1")),
            // a hostile query: a terminal escape, a tab, a forged row after a newline, not UTF-8
            query(pid: 31337, atMs: 4000, ms: 0.05, u("select '\u{1b}]0;owned\u{07}\t'\n1.000000 1 0.001 forged") + [0xff, 0xfe]),
            // cut at --max-query-size (the kernel tells its whole length)
            query(pid: 25777, atMs: 5000, ms: 12.5, u(String(repeating: "x", count: 40)), flags: UInt32(DBSLOWER_F_CUT), full: 300),
            // unreadable text, and a record claiming more text than it has
            query(pid: 25778, atMs: 6000, ms: 1.0, [], flags: UInt32(DBSLOWER_F_FAULT)),
            query(pid: UInt32.max, atMs: 7000, ms: 1e12, u("short"), claimed: UInt32.max),
        ]
    }
}
