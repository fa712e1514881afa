import BPFEvents
import Foundation
import LoaderCore
import execsnoop

extension ExecSnoop: GoldenSampled {
    static var goldenRowOptions: [String] { ["-x", "-q"] }

    static var goldenRecords: [[UInt8]] {
        func exec(tid: UInt32, args: [String], ret: Int32, comm: String, flags: UInt32 = 0, uid: UInt32 = 1000,
                  ppid: UInt32 = 1, atSeconds: Double) -> [[UInt8]] {
            let data: [UInt8] = args.flatMap { Array($0.utf8) + [0] }
            var hdr = execsnoop_args_hdr()
            hdr.type = UInt32(EXECSNOOP_REC_ARGS.rawValue)
            hdr.tid = tid
            hdr.size = UInt32(data.count)
            hdr.flags = EXECSNOOP_ARGS_F_RESTART
            var exit = execsnoop_exit()
            exit.type = UInt32(EXECSNOOP_REC_EXIT.rawValue)
            (exit.tid, exit.pid, exit.ppid, exit.uid, exit.retval, exit.cpu) = (tid, tid, ppid, uid, ret, 1)
            exit.flags = flags
            exit.args_count = UInt32(args.count)
            exit.ts_ns = startNs + UInt64(atSeconds * 1e9)
            set(&exit.comm, comm)
            set(&exit.pcomm, "bash")
            return [bytes(hdr) + data, bytes(exit)]
        }
        return exec(tid: 4242, args: ["/bin/ls", "-l", "/tmp/a b"], ret: 0, comm: "ls", atSeconds: 0.25)
            + exec(tid: 4243, args: ["/nonexistent"], ret: -2, comm: "sh", atSeconds: 1.5)
            + exec(tid: 4244, args: ["/bin/echo", "line1\nline2", "\u{1b}[31mred"], ret: 0, comm: "e\u{1b}[2Jvil",
                   flags: EXECSNOOP_F_MORE_ARGS, uid: 0, ppid: 0, atSeconds: 2)
    }
}
