import Glibc

/// The function symbols of an ELF file (.symtab, else .dynsym) and its loadable segments, read
/// with pread: only the headers and the symbol sections are read, not the whole file.
struct ELFSymbols: Sendable {
    struct Segment: Sendable {
        let offset: UInt64
        let vaddr: UInt64
        let fileSize: UInt64
    }

    let symbols: SymbolTable
    let segments: [Segment]

    /// nil if the file cannot be read or is not a 64-bit little-endian ELF file.
    init?(path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let file = PRead(fd: fd)
        guard let header = file.bytes(at: 0, count: 64), header.count == 64,
              header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
              header[4] == 2, header[5] == 1 else { return nil }
        let phoff = header.u64(32), shoff = header.u64(40)
        let phentsize = Int(header.u16(54)), phnum = Int(header.u16(56))
        let shentsize = Int(header.u16(58)), shnum = Int(header.u16(60))

        var segments: [Segment] = []
        if phentsize >= 56, let table = file.bytes(at: phoff, count: phentsize * phnum) {
            for i in 0..<phnum {
                let ph = table[(i * phentsize)...]
                if ph.u32(0) == 1 {  // PT_LOAD
                    segments.append(Segment(offset: ph.u64(8), vaddr: ph.u64(16), fileSize: ph.u64(32)))
                }
            }
        }
        self.segments = segments

        var entries: [SymbolTable.Entry] = []
        if shentsize >= 64, let sections = file.bytes(at: shoff, count: shentsize * shnum) {
            func section(_ i: Int) -> ArraySlice<UInt8> { sections[(i * shentsize)...] }
            // .symtab has every function; .dynsym only the exported ones (all a stripped file has)
            for wanted: UInt32 in [2, 11] where entries.isEmpty {  // SHT_SYMTAB, SHT_DYNSYM
                for i in 0..<shnum where section(i).u32(4) == wanted {
                    let sh = section(i)
                    let link = Int(sh.u32(40))
                    guard link < shnum, let symbols = file.bytes(at: sh.u64(24), count: Int(sh.u64(32))),
                          let strings = file.bytes(at: section(link).u64(24), count: Int(section(link).u64(32))) else { continue }
                    Self.functions(symbols, strings, into: &entries)
                }
            }
        }
        symbols = SymbolTable(entries)
    }

    private static func functions(_ symbols: [UInt8], _ strings: [UInt8], into entries: inout [SymbolTable.Entry]) {
        let count = symbols.count / 24
        entries.reserveCapacity(entries.count + count)
        for i in 0..<count {
            let sym = symbols[(i * 24)...]
            let type = sym.u8(4) & 0xF
            guard type == 2 || type == 10, sym.u16(6) != 0 else { continue }  // FUNC or IFUNC, defined
            let value = sym.u64(8)
            let nameOffset = Int(sym.u32(0))
            guard value != 0, nameOffset < strings.count else { continue }
            let end = strings[nameOffset...].firstIndex(of: 0) ?? strings.count
            entries.append(.init(start: value, size: sym.u64(16), name: String(decoding: strings[nameOffset..<end], as: UTF8.self)))
        }
    }

    /// The virtual address (as in the symbol table) of a file offset, through the segment
    /// that maps it: what makes PIE executables and shared libraries resolve wherever loaded.
    func address(ofFileOffset offset: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { offset >= $0.offset && offset < $0.offset + max($0.fileSize, 1) }) else {
            return nil
        }
        return offset - segment.offset + segment.vaddr
    }
}

/// Positional reads of a file.
private struct PRead {
    let fd: Int32

    func bytes(at offset: UInt64, count: Int) -> [UInt8]? {
        guard count >= 0, count < 1 << 30 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, count - done, off_t(offset) + off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            done += n
        }
        return buffer
    }
}
