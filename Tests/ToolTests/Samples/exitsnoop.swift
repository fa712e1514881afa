import BPFEvents
import Foundation
import LoaderCore
import exitsnoop

extension ExitSnoop: GoldenSampled {
    static var goldenRowOptions: [String] { ["--per-thread"] }
    static var goldenOptionValues: [String: String] { ["--label": "exit"] }

    static var goldenRecords: [[UInt8]] {
        func exit(pid: UInt32, tid: UInt32, comm: String, code: UInt32, ageNs: UInt64, atUs: UInt64) -> [UInt8] {
            var e = exitsnoop_event()
            e.exit_ns = startNs + 100_000_000_000 + atUs * 1000
            e.start_ns = e.exit_ns &- ageNs
            (e.pid, e.tid, e.ppid, e.exit_code) = (pid, tid, 1, code)
            set(&e.comm, comm)
            return bytes(e)
        }
        return [exit(pid: 500, tid: 500, comm: "true", code: 0, ageNs: 1_234_000, atUs: 1_500),
                exit(pid: 501, tid: 501, comm: "sh", code: 3 << 8, ageNs: 61_000_000_000, atUs: 2_000),
                exit(pid: 502, tid: 502, comm: "sleep", code: 9, ageNs: 5_000_000, atUs: 2_500),
                exit(pid: 503, tid: 503, comm: "crash\u{1b}[2J", code: 0x80 | 11, ageNs: 0, atUs: 3_000),
                exit(pid: 504, tid: 505, comm: "worker", code: 10, ageNs: UInt64.max, atUs: 3_999)]
    }
}
