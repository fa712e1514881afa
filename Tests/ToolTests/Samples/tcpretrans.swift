import BPFEvents
import Foundation
import LoaderCore
import tcpretrans

extension TCPRetrans: GoldenSampled {
    static var goldenRecords: [[UInt8]] {
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
}
