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
