import BPFEvents
import Foundation
import LoaderCore
import tcplife

extension TCPLife: GoldenSampled {
    static var goldenRowOptions: [String] { ["-w", "-s"] }

    static var goldenRecords: [[UInt8]] {
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
}
