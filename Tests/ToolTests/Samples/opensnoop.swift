import BPFEvents
import Foundation
import LoaderCore
import opensnoop

extension OpenSnoop: GoldenSampled, OptionSampled {
    static var goldenRowOptions: [String] { ["-F", "-x"] }
    static var goldenOptionValues: [String: String] { ["-t": "4243"] }
    static var optionSamples: [String: String] { ["--flag_filter": "O_CREAT"] }

    static var goldenRecords: [[UInt8]] {
        func open(pid: UInt32, ret: Int32, flags: UInt32, mode: UInt32, path: String, comm: String, atUs: UInt64,
                  dirs: [String] = [], eventFlags: UInt32 = 0) -> [UInt8] {
            var e = opensnoop_event()
            e.ts_ns = (5_000_000 + atUs) * 1000
            (e.pid, e.tid, e.uid, e.ret, e.flags, e.mode) = (pid, pid + 1, 1000, ret, flags, mode)
            let pathBytes: [UInt8] = Array(path.utf8) + [0]
            let dirBytes: [UInt8] = dirs.flatMap { Array($0.utf8) + [0] }
            e.path_size = UInt32(pathBytes.count)
            e.dirs_size = UInt32(dirBytes.count)
            e.dirs_count = UInt32(dirs.count)
            e.event_flags = eventFlags
            set(&e.comm, comm)
            return bytes(e) + pathBytes + dirBytes
        }
        return [
            open(pid: 300, ret: 3, flags: 0o2000000, mode: 0, path: "/etc/passwd", comm: "cat", atUs: 0),
            open(pid: 301, ret: -2, flags: 0o100 | 0o1, mode: 0o644, path: "data.txt", comm: "touch", atUs: 1500,
                 dirs: ["work", "home"], eventFlags: OPENSNOOP_F_DIR_FROM_BASE),
            open(pid: 302, ret: 5, flags: 0, mode: 0, path: "x\u{1b}]0;owned\u{07}\ny", comm: "evil\u{9b}", atUs: 2_000_001),
        ]
    }
}
