import Testing
@testable import LoaderCore

/// Against bcc.table's print_log2_hist (spec section 3.3).
@Suite struct Log2HistogramTests {
    @Test func narrowLayoutAsBCCPrintsIt() {
        var slots = [UInt64](repeating: 0, count: 40)
        slots[8] = 12   // 128 -> 255
        slots[9] = 60   // 256 -> 511: the maximum, 40 stars
        slots[10] = 1
        let lines = Log2Histogram(slots: slots).lines(unit: "usecs")
        #expect(lines.first == "     usecs               : count     distribution")
        #expect(lines[1] == "         0 -> 1          : 0        |                                        |")
        #expect(lines[2] == "         2 -> 3          : 0        |                                        |")
        #expect(lines[8] == "       128 -> 255        : 12       |********                                |")
        #expect(lines[9] == "       256 -> 511        : 60       |****************************************|")
        #expect(lines[10] == "       512 -> 1023       : 1        |                                        |")
        #expect(lines.count == 11)  // header and slots 1...10
    }

    @Test func emptyPrintsNothingAndLeadingZerosCanBeStripped() {
        #expect(Log2Histogram(slots: [0, 0, 0]).lines(unit: "usecs").isEmpty)
        let lines = Log2Histogram(slots: [0, 0, 0, 3]).lines(unit: "msecs", stripLeadingZero: true)
        #expect(lines == ["     msecs               : count     distribution",
                          "         4 -> 7          : 3        |****************************************|"])
    }

    @Test func wideLayoutBeyondSlot32() {
        var slots = [UInt64](repeating: 0, count: 40)
        slots[33] = 2
        slots[1] = 1
        let lines = Log2Histogram(slots: slots).lines(unit: "nsecs")
        #expect(lines.first == "               nsecs                         : count     distribution")
        #expect(lines[1] == "                   0 -> 1                    : 1        |**********          |")
        #expect(lines[33] == "          4294967296 -> 8589934591           : 2        |********************|")
    }

    @Test func jsonBucketsInBCCsOrderWithSnakeCaseKeys() {
        let json = Log2Histogram(slots: [0, 1, 0, 4]).jsonBuckets().serialized
        #expect(json == #"[{"interval_start": 0, "interval_end": 1, "count": 1}, "#
            + #"{"interval_start": 2, "interval_end": 3, "count": 0}, {"interval_start": 4, "interval_end": 7, "count": 4}]"#)
    }
}
