import CLibbpf
import Foundation
import Testing
@testable import LoaderCore
@testable import execsnoop

/// The typed map helpers the summary tools build on, against a real kernel map (execsnoop's
/// `pending` hash: u32 thread id to a 16-byte record). Loading needs root.
@Suite(.enabled(if: geteuid() == 0 || ProcessInfo.processInfo.environment["BPF_TESTS_REQUIRED"] == "1", "needs root to load BPF"))
struct BPFMapTests {
    struct Pending: BitwiseCopyable, Equatable { var tid, flags, count, pad: UInt32 }

    @Test func lookupUpdateIterateDeleteClear() throws {
        var object = try BPFObject(try #require(toolsUnderTest.first { $0.name == "execsnoop" }).object)
        try object.choose(ExecSnoop.plan, kernel: AlwaysSupported())
        let loaded = try object.load()
        let map = try loaded.map("pending")
        #expect(try map.lookup(UInt32(7), as: Pending.self) == nil)
        for key in UInt32(1)...5 { try map.update(key, Pending(tid: key, flags: 0, count: key * 10, pad: 0)) }
        #expect(try map.lookup(UInt32(3), as: Pending.self) == Pending(tid: 3, flags: 0, count: 30, pad: 0))
        #expect(Set(try map.keys(as: UInt32.self)) == [1, 2, 3, 4, 5])
        #expect(try map.entries(UInt32.self, Pending.self).map { $0.1.count }.sorted() == [10, 20, 30, 40, 50])
        #expect(map.delete(UInt32(2)))
        #expect(!map.delete(UInt32(2)))
        #expect(try map.keys(as: UInt32.self).count == 4)
        try map.clear(keyType: UInt32.self)
        #expect(try map.keys(as: UInt32.self).isEmpty)
        #expect(throws: BPFError.self) { try map.lookup(UInt64(1), as: Pending.self) }  // wrong key size

        // every entry, in batches (6,000 entries: two batch reads of at most 4,096). Not the
        // table's 10,240: it is an LRU hash, which may evict before it is full (its free
        // entries are spread over per-CPU lists): a full test run here once read fewer.
        for key in UInt32(1)...6000 { try map.update(key, Pending(tid: key, flags: 0, count: key, pad: 0)) }
        let all = try map.entries(UInt32.self, Pending.self)
        #expect(all.count == 6000 && Set(all.map(\.0)).count == 6000 && all.allSatisfy { $0.0 == $0.1.count })
        try map.clear(keyType: UInt32.self)

        let lost = try loaded.map("lost_events")
        #expect(try lost.lookupPerCPU(UInt32(0), as: UInt64.self).count == Int(libbpf_num_possible_cpus()))
    }
}

/// Chooses every first candidate without asking the kernel (the test only loads, never attaches).
struct AlwaysSupported: KernelFeatures {
    func unsupportedReason(_ kind: ProbeKind) -> String? { nil }
}
