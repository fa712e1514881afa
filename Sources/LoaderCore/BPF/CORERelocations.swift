/// The CO-RE relocations recorded in a BPF object's .BTF.ext section: which local type each
/// one starts from, the access path through it ("0:1:2") and the kind of value wanted.
struct CORERelocation: Equatable {
    let typeID: UInt32
    let access: [Int]
    let kind: Kind

    /// `enum bpf_core_relo_kind`
    enum Kind: UInt32 {
        case fieldByteOffset = 0, fieldByteSize, fieldExists, fieldSigned, fieldLShiftU64, fieldRShiftU64
        case typeIDLocal, typeIDTarget, typeExists, typeSize, enumValueExists, enumValue, typeMatches

        var isField: Bool { rawValue <= 5 }
    }

    /// Parses the relocation records; `name` resolves an offset in the object's .BTF strings.
    static func parse(btfExt bytes: ArraySlice<UInt8>, name: (UInt32) -> String) -> [CORERelocation]? {
        let base = bytes.startIndex
        func u32(_ at: Int) -> UInt32? {
            guard at >= 0, base + at + 4 <= bytes.endIndex else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[base + at + $1]) << (8 * $1) }
        }
        // struct btf_ext_header: magic, version, flags, hdr_len, func/line info, core_relo_off/len
        guard bytes.count >= 8, bytes[base] == 0x9f, bytes[base + 1] == 0xeb, let headerLength = u32(4).map(Int.init) else { return nil }
        guard headerLength >= 32, let reloOffset = u32(24).map(Int.init), let reloLength = u32(28).map(Int.init) else { return [] }
        var at = headerLength + reloOffset
        let end = at + reloLength
        guard reloLength > 0, let recordSize = u32(at).map(Int.init), recordSize >= 16 else { return [] }
        at += 4
        var result: [CORERelocation] = []
        while at + 8 <= end {
            guard let count = u32(at + 4).map(Int.init) else { return nil }
            at += 8
            for _ in 0..<count {
                guard let typeID = u32(at + 4), let accessOffset = u32(at + 8), let rawKind = u32(at + 12),
                      let kind = Kind(rawValue: rawKind) else { return nil }
                let access = name(accessOffset).split(separator: ":").compactMap { Int($0) }
                result.append(CORERelocation(typeID: typeID, access: access, kind: kind))
                at += recordSize
            }
        }
        return result
    }
}
