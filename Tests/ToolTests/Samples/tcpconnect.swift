import BPFEvents
import Foundation
import LoaderCore
import tcpconnect

extension TCPConnect: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
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
}
