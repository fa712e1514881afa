/// Reads the `lost_events` per-CPU counter every tool's BPF side keeps (see common.bpf.h):
/// records a full ring buffer refused, or I/Os a full map could not track.
public final class LostCounter {
    private let map: BPFMap?
    private var reported: UInt64 = 0

    init(owner: ObjectHandle) {
        map = try? BPFMap(map: owner.map(named: "lost_events"), owner: owner)
    }

    /// How many were lost since the tool started, summed over CPUs.
    public func total() -> UInt64 {
        guard let map, let perCPU = try? map.lookupPerCPU(UInt32(0), as: UInt64.self) else { return 0 }
        return perCPU.reduce(0, &+)
    }

    /// How many were lost since the last call, summed over CPUs.
    public func newlyLost() -> UInt64 {
        guard let map, let perCPU = try? map.lookupPerCPU(UInt32(0), as: UInt64.self) else { return 0 }
        let total = perCPU.reduce(0, &+)
        defer { reported = total }
        return total &- reported
    }
}
