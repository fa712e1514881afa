import BPFEvents
import Foundation
import LoaderCore
import killsnoop

// The PID columns are as wide as kernel.pid_max has digits, plus one (BCC): the golden file was
// written where pid_max is 32768, as on the CI machines.
extension KillSnoop: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
        func kill(pid: UInt32, comm: String, sig: Int32, tpid: Int32, ret: Int32, atUs: UInt64) -> [UInt8] {
            var e = killsnoop_event()
            (e.ts_ns, e.pid, e.sig, e.tpid, e.ret) = (startNs + atUs * 1000, pid, sig, tpid, ret)
            set(&e.comm, comm)
            return bytes(e)
        }
        return [kill(pid: 4100, comm: "systemd", sig: 15, tpid: 4200, ret: 0, atUs: 1_000),
                kill(pid: 4101, comm: "bash", sig: 0, tpid: 99999, ret: -3, atUs: 2_000),
                kill(pid: 4102, comm: "k\u{1b}]0;x\u{07}ill", sig: 9, tpid: -4300, ret: -1, atUs: 3_000),
                kill(pid: UInt32(Int32.max), comm: "a-very-long-comm-name", sig: Int32.max, tpid: Int32.min, ret: Int32.min, atUs: 4_000)]
    }
}
