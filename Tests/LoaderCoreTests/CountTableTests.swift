import Testing
@testable import LoaderCore

/// The table profile counts its distinct samples in.
@Suite struct CountTableTests {
    /// Keys spread the way profile's are (a context index above a node number) and keys that
    /// collide in the low bits, through several growths: every count comes back, once.
    @Test func countsSurviveGrowth() {
        let table = CountTable()
        var expected: [UInt64: UInt64] = [:]
        for i in UInt64(0)..<50_000 {
            let key = (i % 7) << 32 | (i / 7)
            let times = i % 5 + 1
            for _ in 0..<times { table.add(key) }
            expected[key, default: 0] += times
            table.add(i << 20, 3)
            expected[i << 20, default: 0] += 3
        }
        #expect(table.count == expected.count)
        var seen: [UInt64: UInt64] = [:]
        table.forEach { key, count in seen[key, default: 0] += count }
        #expect(seen == expected)
        #expect(expected.allSatisfy { table[$0.key] == $0.value })
        #expect(table[0xdead_beef_0000_0001] == 0)
    }

    /// The key that marks a free slot is counted too, apart; counts wrap instead of trapping.
    @Test func theFreeMarkerIsAKeyAndCountsWrap() {
        let table = CountTable()
        table.add(.max)
        table.add(.max, 2)
        table.add(0, .max)
        table.add(0, 2)
        #expect(table[.max] == 3 && table[0] == 1 && table.count == 2)
        var keys: [UInt64] = []
        table.forEach { key, _ in keys.append(key) }
        #expect(keys.sorted() == [0, .max])
    }
}
