import BPFEvents
import Foundation
import LoaderCore
import biosnoop

extension BioSnoop: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
        func io(pid: UInt32, comm: String, dev: UInt32, write: Bool, sector: UInt64, len: UInt64, atUs: UInt64,
                latNs: UInt64, queNs: UInt64, pattern: Int32) -> [UInt8] {
            var e = biosnoop_event()
            (e.ts_us, e.delta_ns, e.qdelta_ns, e.sector, e.len) = (atUs, latNs, queNs, sector, len)
            (e.dev, e.pid, e.rwflag, e.pattern) = (dev, pid, write ? 1 : 0, UInt32(bitPattern: pattern))
            set(&e.comm, comm)
            return bytes(e)
        }
        // device numbers no machine has (major 4095): the name is BCC's "<unknown>"
        let dev = UInt32(4095) << 20 | 7
        return [io(pid: 4001, comm: "dd", dev: dev, write: false, sector: 0, len: 4096, atUs: 40_000_000,
                   latNs: 51_234, queNs: 20_000, pattern: BIOSNOOP_PATTERN_UNKNOWN),
                io(pid: 4001, comm: "dd", dev: dev, write: false, sector: 8, len: 4096, atUs: 40_002_074,
                   latNs: 2_500_000_000, queNs: 0, pattern: BIOSNOOP_PATTERN_SEQUENTIAL),
                io(pid: 0, comm: "?", dev: dev, write: true, sector: UInt64.max, len: 1 << 20, atUs: 40_100_000,
                   latNs: 0, queNs: 0, pattern: BIOSNOOP_PATTERN_RANDOM),
                io(pid: 4002, comm: "kworker/u8:\u{1b}c", dev: dev, write: true, sector: 1600, len: 8192, atUs: 41_000_000,
                   latNs: 30_000, queNs: 1_000_000, pattern: BIOSNOOP_PATTERN_RANDOM)]
    }
}
