import BPFEvents
import Foundation
import LoaderCore

/// A streaming tool's synthetic ring buffer records, as its BPF side would send them: ordinary
/// events and hostile ones (escapes in names and paths, the largest values a field holds). Each
/// tool's are in Samples/<tool>.swift; GoldenRowTests requires every streaming tool to have them.
protocol GoldenSampled: StreamingTool {
    static var goldenRecords: [[UInt8]] { get }
    /// Options that change the rows without adding a column (each takes part in the combinations).
    static var goldenRowOptions: [String] { get }
    /// A value for each option that takes one (they filter in the kernel; rows do not change).
    static var goldenOptionValues: [String: String] { get }
    /// Fixes what a row reads from the system besides its record (oomkill's /proc/loadavg).
    static func prepare(_ context: RowContext)
}

/// The monotonic time the fixed clock says the tool started at.
let goldenStartNs: UInt64 = 1_000_000_000

extension GoldenSampled {
    static var goldenRowOptions: [String] { [] }
    static var goldenOptionValues: [String: String] { [:] }
    static func prepare(_ context: RowContext) {}
    static var startNs: UInt64 { goldenStartNs }

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
}
