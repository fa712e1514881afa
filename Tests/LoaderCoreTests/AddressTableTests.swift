import Testing
@testable import LoaderCore

/// The open-addressed table of frames by address that profile's report looks each frame up in.
@Suite struct AddressTableTests {
    @Test func findsWhatWasInsertedThroughGrowthAndCollisions() {
        let table = AddressTable<UInt64>()
        // 10,000 addresses 16 bytes apart (code addresses cluster) and 0 and UInt64.max, which
        // the table treats apart (free-slot marker)
        let addresses = (0..<10_000).map { 0xffff_ffff_8100_0000 + UInt64($0) * 16 } + [0, .max]
        for (i, address) in addresses.enumerated() { table.insert(address, UInt64(i)) }
        #expect(addresses.enumerated().allSatisfy { table[$0.element] == UInt64($0.offset) })
        #expect(table[0xffff_ffff_8100_0008] == nil && table[1] == nil)
        table.insert(0, 42)  // replaced, not added
        #expect(table[0] == 42 && table[.max] == UInt64(addresses.count - 1))
    }

    @Test func holdsReferencesUntilItGoes() {
        final class Box { let n: Int; init(_ n: Int) { self.n = n } }
        weak var first: Box?
        do {
            let table = AddressTable<Box>()
            let box = Box(1)
            first = box
            table.insert(0x1000, box)
            for i in 0..<5000 { table.insert(0x2000 + UInt64(i), Box(i)) }  // grows: entries move
            #expect(table[0x1000]?.n == 1 && table[0x2000 + 4999]?.n == 4999)
        }
        #expect(first == nil)  // freed with the table: nothing leaked by growth
    }
}

/// The text bpf_snprintf's %pS gives for a kernel address, as KernelSymbolNamer reads it.
@Suite struct KernelSymbolTextTests {
    func frame(_ text: String, slot: Int = 256) -> Frame {
        var bytes = Array(text.utf8.prefix(slot))
        bytes += [UInt8](repeating: 0, count: max(0, slot - bytes.count))
        return bytes.withUnsafeBytes { KernelSymbolNamer.frame(parsing: $0) }
    }

    @Test func nameOffsetAndModule() {
        #expect(frame("do_syscall_64+0x5c/0x1a0") == Frame(name: "do_syscall_64", offset: 0x5c, module: "kernel"))
        #expect(frame("finish_task_switch.isra.0+0x9c/0x2b0") == Frame(name: "finish_task_switch.isra.0", offset: 0x9c, module: "kernel"))
        #expect(frame("ext4_file_read_iter+0x1f/0x1c0 [ext4]") == Frame(name: "ext4_file_read_iter", offset: 0x1f, module: "ext4"))
    }

    @Test func noSymbolOrNoTextIsUnnamed() {
        #expect(frame("0xffffffffc0a01234").name == nil)
        #expect(frame("").name == nil)
        #expect(frame("+0x10/0x20").name == nil)
        // a slot filled to its end without a NUL still parses within it
        #expect(frame(String(repeating: "a", count: 300) + "+0x1/0x2").name == nil)
        #expect(frame("f+0x1/0x2" + String(repeating: " ", count: 300)).name == "f")
    }
}
