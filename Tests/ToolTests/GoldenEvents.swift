import BPFEvents
import Foundation
import LoaderCore

/// Synthetic ring buffer records, as each tool's BPF side would send them: ordinary events and
/// hostile ones (escapes in names and paths, the largest values a field holds).
enum GoldenEvents {
    /// The monotonic time the fixed clock says the tool started at.
    static let startNs: UInt64 = 1_000_000_000

    static func records(for tool: String) -> [[UInt8]] {
        switch tool {
        case "execsnoop": execsnoop
        case "opensnoop": opensnoop
        case "tcpconnect": tcpconnect
        case "tcplife": tcplife
        case "tcpretrans": tcpretrans
        case "tcpstates": tcpstates
        case "biosnoop": biosnoop
        default: []
        }
    }

    static func bytes<T>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

    /// Copies `text` into a fixed char array (a C `char[N]`), cut to fit, NUL-terminated if room.
    static func set<T>(_ field: inout T, _ text: String) {
        withUnsafeMutableBytes(of: &field) { raw in
            raw.initializeMemory(as: UInt8.self, repeating: 0)
            for (i, byte) in text.utf8.prefix(raw.count).enumerated() { raw[i] = byte }
        }
    }

    static func flow(v6: Bool, local: String, lport: UInt16, remote: String, rport: UInt16) -> tcp_flow {
        var f = tcp_flow()
        f.family = UInt16(v6 ? TOOLS_AF_INET6 : TOOLS_AF_INET)
        f.sport = lport
        f.dport = rport
        func put(_ text: String, _ field: inout (UInt64, UInt64)) {
            var raw = [UInt8](repeating: 0, count: 16)
            _ = text.withCString { inet_pton(v6 ? AF_INET6 : AF_INET, $0, &raw) }
            withUnsafeMutableBytes(of: &field) { $0.copyBytes(from: raw) }
        }
        put(local, &f.saddr)
        put(remote, &f.daddr)
        return f
    }

    static var execsnoop: [[UInt8]] {
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

    static var opensnoop: [[UInt8]] {
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

    static var tcpconnect: [[UInt8]] {
        func connect(pid: UInt32, comm: String, flow: tcp_flow, atUs: UInt64) -> [UInt8] {
            var e = tcpconnect_event()
            (e.ts_us, e.pid, e.uid) = (atUs, pid, 1000)
            set(&e.comm, comm)
            e.flow = flow
            return bytes(e)
        }
        return [
            connect(pid: 1201, comm: "curl", flow: flow(v6: false, local: "10.0.0.2", lport: 40000, remote: "93.184.216.34", rport: 443),
                    atUs: 10_000_000),
            connect(pid: 1202, comm: "a-very-long-command-name",
                    flow: flow(v6: true, local: "2001:db8::1", lport: 50000, remote: "2001:db8::ffff:1", rport: 80), atUs: 10_250_000),
        ]
    }

    static var tcplife: [[UInt8]] {
        func life(pid: UInt32, comm: String, flow: tcp_flow, atUs: UInt64, tx: UInt64, rx: UInt64, spanUs: UInt64) -> [UInt8] {
            var e = tcplife_event()
            (e.ts_us, e.span_us, e.rx_bytes, e.tx_bytes, e.pid) = (atUs, spanUs, rx, tx, pid)
            set(&e.comm, comm)
            e.flow = flow
            return bytes(e)
        }
        return [
            life(pid: 2001, comm: "curl", flow: flow(v6: false, local: "10.0.0.2", lport: 40000, remote: "10.0.0.9", rport: 443),
                 atUs: 20_000_000, tx: 1024 * 3 + 7, rx: 1024 * 1024, spanUs: 1_234_567),
            life(pid: 2002, comm: "ssh,evil", flow: flow(v6: true, local: "fe80::1", lport: 22, remote: "fe80::dead:beef", rport: 51000),
                 atUs: 21_500_000, tx: 0, rx: UInt64.max, spanUs: 10),
        ]
    }

    static var tcpretrans: [[UInt8]] {
        func retrans(type: Int32, state: UInt32, seq: UInt32, flow: tcp_flow) -> [UInt8] {
            var e = tcpretrans_event()
            (e.pid, e.seq, e.state, e.type) = (0, seq, state, UInt32(type))
            e.flow = flow
            return bytes(e)
        }
        return [
            retrans(type: TCPRETRANS_RETRANSMIT, state: 1, seq: 123_456_789,
                    flow: flow(v6: false, local: "10.0.0.2", lport: 40000, remote: "10.0.0.9", rport: 443)),
            retrans(type: TCPRETRANS_LOSS_PROBE, state: 4, seq: UInt32.max,
                    flow: flow(v6: true, local: "2001:db8::1", lport: 22, remote: "2001:db8::2", rport: 65535)),
        ]
    }

    static var tcpstates: [[UInt8]] {
        func change(_ old: UInt32, _ new: UInt32, spanUs: UInt64, atUs: UInt64, comm: String, flow: tcp_flow) -> [UInt8] {
            var e = tcpstates_event()
            (e.ts_us, e.skaddr, e.span_us, e.pid, e.oldstate, e.newstate) = (atUs, 0xffff_8881_05a5_40c0, spanUs, 3003, old, new)
            set(&e.comm, comm)
            e.flow = flow
            return bytes(e)
        }
        let v4 = flow(v6: false, local: "127.0.0.1", lport: 56444, remote: "127.0.0.1", rport: 45257)
        let v6 = flow(v6: true, local: "2001:db8:aaaa:bbbb:cccc:dddd:eeee:1", lport: 443, remote: "::1", rport: 0)
        return [change(7, 2, spanUs: 0, atUs: 30_000_000, comm: "curl", flow: v4),
                change(2, 1, spanUs: 241, atUs: 30_000_241, comm: "curl", flow: v4),
                change(10, 99, spanUs: 2_096_123, atUs: 32_096_364, comm: "swapper/1\u{7f}", flow: v6)]
    }
    static var biosnoop: [[UInt8]] {
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
