/// The sections of a little-endian ELF64 object (a BPF object file), by name.
struct ELFSections {
    let sections: [String: Range<Int>]

    init?(_ bytes: [UInt8]) {
        func u16(_ at: Int) -> Int { Int(bytes.u16(at)) }
        func u32(_ at: Int) -> Int { Int(bytes.u32(at)) }
        func u64(_ at: Int) -> Int { Int(truncatingIfNeeded: bytes.u64(at)) }
        guard bytes.count >= 64, bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46], bytes[4] == 2, bytes[5] == 1 else { return nil }
        let shoff = u64(0x28), shentsize = u16(0x3a), shnum = u16(0x3c), shstrndx = u16(0x3e)
        guard shentsize >= 64, shstrndx < shnum, shoff + shnum * shentsize <= bytes.count else { return nil }
        func header(_ i: Int) -> (name: Int, range: Range<Int>)? {
            let h = shoff + i * shentsize
            let offset = u64(h + 24), size = u64(h + 32)
            guard offset + size <= bytes.count else { return nil }
            return (u32(h), offset..<(offset + size))
        }
        guard let strtab = header(shstrndx)?.range else { return nil }
        var sections: [String: Range<Int>] = [:]
        for i in 0..<shnum {
            guard let (nameOffset, range) = header(i), strtab.lowerBound + nameOffset < strtab.upperBound else { continue }
            let start = strtab.lowerBound + nameOffset
            let end = bytes[start..<strtab.upperBound].firstIndex(of: 0) ?? strtab.upperBound
            sections[String(decoding: bytes[start..<end], as: UTF8.self)] = range
        }
        self.sections = sections
    }
}
