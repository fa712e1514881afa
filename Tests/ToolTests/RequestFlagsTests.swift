import BPFEvents
import Testing
@testable import biolatency

/// biolatency -F's names, against spec section 3.4 (BCC's flags_print).
@Suite struct RequestFlagsTests {
    @Test func operationsAndPrefixesInBCCsOrder() {
        #expect(RequestFlags.describe(UInt32(BIOLATENCY_OP_READ)) == "Read")
        #expect(RequestFlags.describe(UInt32(BIOLATENCY_OP_WRITE) | BIOLATENCY_F_SYNC) == "Sync-Write")
        #expect(RequestFlags.describe(UInt32(BIOLATENCY_OP_WRITE) | BIOLATENCY_F_SYNC | BIOLATENCY_F_IDLE) == "Idle-Sync-Write")
        #expect(RequestFlags.describe(UInt32(BIOLATENCY_OP_WRITE_ZEROES)) == "WriteZeros")
        #expect(RequestFlags.describe(UInt32(BIOLATENCY_OP_UNKNOWN)) == "Unknown")
        let all = UInt32(BIOLATENCY_OP_WRITE) | BIOLATENCY_F_SYNC | BIOLATENCY_F_META | BIOLATENCY_F_FUA | BIOLATENCY_F_PRIO
            | BIOLATENCY_F_NOMERGE | BIOLATENCY_F_IDLE | BIOLATENCY_F_RAHEAD | BIOLATENCY_F_BACKGROUND | BIOLATENCY_F_NOWAIT
        #expect(RequestFlags.describe(all)
                == "NoWait-Background-ReadAhead-Idle-NoMerge-Priority-ForcedUnitAccess-Metadata-Sync-Write")
    }
}
