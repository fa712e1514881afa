import BPFEvents
import Foundation
import LoaderCore
import tcpstates

extension TCPStates: GoldenSampled {
    static var goldenRowOptions: [String] { ["-w", "-s"] }

    static var goldenRecords: [[UInt8]] {
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
                change(2, 1, spanUs: 241, atUs: 30_000_241, comm: "cu\"rl,x", flow: v4),
                change(10, 99, spanUs: 2_096_123, atUs: 32_096_364, comm: "swapper/1\u{7f}", flow: v6)]
    }
}
