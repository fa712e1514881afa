import BPFEvents

/// BCC's name for a set of request flags (biolatency -F), from the BCC-encoded flags the BPF
/// side computes: the operation, with a prefix for each flag set, the last flag checked first.
enum RequestFlags {
    static let operations: [UInt32: String] = [
        UInt32(BIOLATENCY_OP_READ): "Read", UInt32(BIOLATENCY_OP_WRITE): "Write",
        UInt32(BIOLATENCY_OP_FLUSH): "Flush", UInt32(BIOLATENCY_OP_DISCARD): "Discard",
        UInt32(BIOLATENCY_OP_SECURE_ERASE): "SecureErase", UInt32(BIOLATENCY_OP_ZONE_RESET): "ZoneReset",
        UInt32(BIOLATENCY_OP_WRITE_SAME): "WriteSame", UInt32(BIOLATENCY_OP_WRITE_ZEROES): "WriteZeros",
    ]

    /// In the order BCC checks them; each one found is put in front of the others.
    static let prefixes: [(UInt32, String)] = [
        (BIOLATENCY_F_SYNC, "Sync-"), (BIOLATENCY_F_META, "Metadata-"),
        (BIOLATENCY_F_FUA, "ForcedUnitAccess-"), (BIOLATENCY_F_PRIO, "Priority-"),
        (BIOLATENCY_F_NOMERGE, "NoMerge-"), (BIOLATENCY_F_IDLE, "Idle-"),
        (BIOLATENCY_F_RAHEAD, "ReadAhead-"), (BIOLATENCY_F_BACKGROUND, "Background-"),
        (BIOLATENCY_F_NOWAIT, "NoWait-"),
    ]

    static func describe(_ flags: UInt32) -> String {
        var text = operations[flags & 0xff] ?? "Unknown"
        for (bit, prefix) in prefixes where flags & bit != 0 {
            text = prefix + text
        }
        return text
    }
}
