import BPFEvents
import Foundation
import LoaderCore
import mountsnoop

extension MountSnoop: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
        /// A call's record: the event, then its strings back to back (NUL-terminated unless
        /// `unterminated`).
        func call(_ kind: Int32, comm: String, pid: UInt32, ret: Int32, fd: Int32 = 0, fd2: Int32 = 0, flags: UInt64 = 0,
                  arg: UInt32 = 0, aux: UInt32 = 0, strings: [[UInt8]] = [], unterminated: Bool = false) -> [UInt8] {
            var e = mountsnoop_event()
            (e.ts_ns, e.call, e.pid, e.tid, e.ppid, e.mnt_ns, e.ret) = (startNs + UInt64(pid) * 1000, UInt32(bitPattern: kind), pid, pid, 1, 4_026_531_841, ret)
            (e.flags, e.fd, e.fd2, e.arg, e.aux) = (flags, fd, fd2, arg, aux)
            set(&e.comm, comm)
            set(&e.pcomm, "bash")
            var text: [UInt8] = []
            withUnsafeMutableBytes(of: &e.str_len) { lengths in
                for (i, s) in strings.enumerated() {
                    let bytes = unterminated ? s : s + [0]
                    text += bytes
                    lengths.storeBytes(of: UInt32(bytes.count), toByteOffset: i * 4, as: UInt32.self)
                }
            }
            return bytes(e) + text
        }
        let u = { (s: String) in Array(s.utf8) }
        return [
            call(MOUNTSNOOP_MOUNT, comm: "mount", pid: 13207, ret: 0, strings: [u("/dev/loop0"), u("tmp-dir/"), u("ext4"), []]),
            call(MOUNTSNOOP_UMOUNT, comm: "mount", pid: 13207, ret: 0, strings: [u("tmp-dir/")]),
            call(MOUNTSNOOP_FSOPEN, comm: "fsmount", pid: 13224, ret: 5, strings: [u("ext4")]),
            call(MOUNTSNOOP_FSCONFIG, comm: "fsmount", pid: 13224, ret: 0, fd: 5, arg: 0, strings: [u("rw"), []]),
            call(MOUNTSNOOP_FSCONFIG, comm: "fsmount", pid: 13224, ret: 0, fd: 5, arg: 1, strings: [u("source"), u("/dev/loop0")]),
            call(MOUNTSNOOP_FSCONFIG, comm: "fsmount", pid: 13224, ret: 0, fd: 5, arg: 6),
            call(MOUNTSNOOP_FSMOUNT, comm: "fsmount", pid: 13224, ret: 6, fd: 5, arg: 1),
            call(MOUNTSNOOP_MOVE_MOUNT, comm: "fsmount", pid: 13224, ret: 0, fd: 6, fd2: -100, flags: 4, strings: [[], u("./tmp-dir/")]),
            // flags BCC names, the magic, bits it does not know, errors and a hostile source
            call(MOUNTSNOOP_MOUNT, comm: "mount", pid: 13300, ret: -2, flags: 0xC0ED_0000 | 4096 | 16384 | (1 << 40),
                 strings: [u("a\"b\\c\n\u{1b}[2Jé"), u("/mnt"), u("none"), u("x\ty")]),
            call(MOUNTSNOOP_UMOUNT, comm: "umount", pid: 13301, ret: -16, flags: 2 | 8 | 0x100, strings: [u("/mnt")]),
            call(MOUNTSNOOP_FSMOUNT, comm: "fsmount", pid: 13302, ret: -22, fd: -1, arg: 0x10 | 0x1 | 0x20_0000),
            call(MOUNTSNOOP_FSMOUNT, comm: "fsmount", pid: 13302, ret: 7, fd: 3, flags: 1, arg: 0x70),
            call(MOUNTSNOOP_FSCONFIG, comm: "fsmount", pid: 13303, ret: -95, fd: 3, arg: 99, aux: UInt32.max),
            call(MOUNTSNOOP_FSOPEN, comm: "fsmount", pid: 13304, ret: -19, flags: 1, strings: [u(String(repeating: "f", count: 600))]),
            call(MOUNTSNOOP_MOVE_MOUNT, comm: "fsmount", pid: 13305, ret: -512, fd: -100, fd2: 9, flags: 0x10 | 0x1000,
                 strings: [u("/from"), Array(repeating: UInt8(ascii: "t"), count: Int(MOUNTSNOOP_STR_MAX))], unterminated: true),
            // an unknown call is not shown; a record shorter than the event neither
            call(77, comm: "x", pid: 1, ret: 0),
            call(-1, comm: "x", pid: 1, ret: 0),
            Array(call(MOUNTSNOOP_UMOUNT, comm: "short", pid: 2, ret: 0).prefix(50)),
        ]
    }
}
