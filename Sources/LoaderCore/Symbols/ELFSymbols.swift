import Glibc

/// The function symbols of an ELF file (.symtab, else .dynsym) and its loadable segments, read
/// with pread: only the headers and the symbol sections are read, not the whole file.
///
/// The file may be anyone's (the binary behind a process): every offset, count and size in it
/// is checked against the file's real size with overflow-checked arithmetic, and the symbol
/// data read from one file is capped (`maxSymbolBytes`), so a crafted file yields no symbols
/// (`[unknown]` frames, and a reason for `-v`), never a trap or a huge allocation.
struct ELFSymbols: Sendable {
    struct Segment: Sendable {
        let offset: UInt64
        let vaddr: UInt64
        let fileSize: UInt64
    }

    /// What one file's symbol and string tables may cost: 256 MiB, above the largest
    /// unstripped libraries Debian ships (libLLVM's .symtab and .strtab are ~40 MB).
    static let maxSymbolBytes: UInt64 = 256 << 20
    /// Program and section header entries of at most 4 KiB (a larger e_*entsize is refused), and
    /// tables of at most 4 MiB: 65535 (e_phnum and e_shnum are 16-bit) standard 64-byte entries.
    static let maxEntrySize = 4096
    static let maxTableBytes = 4 << 20

    let symbols: SymbolTable
    let segments: [Segment]
    /// The GNU build ID (NT_GNU_BUILD_ID note), in hex; nil when the file has none.
    let buildID: String?
    /// Where the file's note sections are (SHT_NOTE: build IDs, USDT probes), as offsets and sizes.
    let noteSections: [(offset: UInt64, size: UInt64)]
    /// Whether the symbols came from a .symtab (every function), not the .dynsym alone (the
    /// exported ones: a stripped file), whose debug file may have the rest.
    let hasFullSymbols: Bool
    /// The .gnu_debuglink section: the name of the file holding the stripped debug sections,
    /// and its CRC-32.
    let debugLink: (name: String, crc: UInt32)?

    /// Why a file gave no symbols (nil when it did).
    let problem: String?

    /// The symbols of `file` (`name` says which file in `problem`); only its headers and notes'
    /// places without `readSymbols`.
    init(file: borrowing UntrustedFile, name: String, readSymbols: Bool = true) {
        var problem: String?
        guard let header = file.bytes(at: 0, count: 64),
              header[0] == 0x7F, header[1] == 0x45, header[2] == 0x4C, header[3] == 0x46,
              header[4] == 2, header[5] == 1 else {
            segments = []
            symbols = SymbolTable([])
            buildID = nil
            noteSections = []
            hasFullSymbols = false
            debugLink = nil
            self.problem = "\(name): not a 64-bit little-endian ELF file"
            return
        }
        let phoff = header.u64(32), shoff = header.u64(40)
        let phentsize = Int(header.u16(54)), phnum = Int(header.u16(56))
        let shentsize = Int(header.u16(58)), shnum = Int(header.u16(60))

        var segments: [Segment] = []
        var buildID: String?
        if (56...Self.maxEntrySize).contains(phentsize), phentsize * phnum <= Self.maxTableBytes,
           let table = file.bytes(at: phoff, count: UInt64(phentsize * phnum)) {
            for i in 0..<phnum {
                let ph = table[(i * phentsize)...]
                if ph.u32(0) == 1 {  // PT_LOAD
                    segments.append(Segment(offset: ph.u64(8), vaddr: ph.u64(16), fileSize: ph.u64(32)))
                } else if ph.u32(0) == 4, buildID == nil, ph.u64(32) <= 1 << 16,  // PT_NOTE, small
                          let notes = file.bytes(at: ph.u64(8), count: ph.u64(32)) {
                    buildID = Self.buildID(in: notes)
                }
            }
        } else if phnum > 0 {
            problem = "\(name): program headers outside the file"
        }
        self.segments = segments
        self.buildID = buildID

        var entries: [SymbolTable.Entry] = []
        var notes: [(offset: UInt64, size: UInt64)] = []
        var fromSymtab = false
        var link: (name: String, crc: UInt32)?
        var budget = Self.maxSymbolBytes
        if (64...Self.maxEntrySize).contains(shentsize), shentsize * shnum <= Self.maxTableBytes,
           let sections = file.bytes(at: shoff, count: UInt64(shentsize * shnum)) {
            func section(_ i: Int) -> ArraySlice<UInt8> { sections[(i * shentsize)...] }
            for i in 0..<shnum where section(i).u32(4) == 7 {  // SHT_NOTE
                notes.append((section(i).u64(24), section(i).u64(32)))
            }
            link = Self.debugLink(file, sections: section, count: shnum, namesIndex: Int(header.u16(62)))
            // .symtab has every function; .dynsym only the exported ones (all a stripped file has)
            for wanted: UInt32 in [2, 11] where entries.isEmpty && readSymbols {  // SHT_SYMTAB, SHT_DYNSYM
                for i in 0..<shnum where section(i).u32(4) == wanted {
                    let sh = section(i)
                    let link = Int(sh.u32(40))
                    let symbolsSize = sh.u64(32)
                    guard link < shnum else { problem = "\(name): a symbol table links to no section"; continue }
                    let stringsSize = section(link).u64(32)
                    guard symbolsSize <= budget, stringsSize <= budget - symbolsSize else {
                        problem = "\(name): symbol tables larger than the \(Self.maxSymbolBytes >> 20) MiB read per file"
                        continue
                    }
                    guard let symbols = file.bytes(at: sh.u64(24), count: symbolsSize),
                          let strings = file.bytes(at: section(link).u64(24), count: stringsSize) else {
                        problem = "\(name): a symbol table outside the file"
                        continue
                    }
                    budget -= symbolsSize + stringsSize
                    Self.functions(symbols, strings, into: &entries)
                    fromSymtab = fromSymtab || wanted == 2
                }
            }
        } else if shnum > 0 {
            problem = "\(name): section headers outside the file"
        }
        symbols = SymbolTable(entries)
        noteSections = notes
        hasFullSymbols = fromSymtab
        debugLink = link
        self.problem = problem
    }

    /// This file's segments (where its code is) with the symbols of its debug file (same
    /// addresses: the debug file is the stripped-off part of this one).
    init(_ binary: ELFSymbols, symbolsOf debug: ELFSymbols) {
        symbols = debug.symbols
        segments = binary.segments
        buildID = binary.buildID
        noteSections = binary.noteSections
        hasFullSymbols = true
        debugLink = binary.debugLink
        problem = nil
    }

    /// The .gnu_debuglink section (found by its name in the section name table): a file name
    /// ended by a NUL, padded to 4 bytes, then the debug file's CRC-32.
    private static func debugLink(_ file: borrowing UntrustedFile, sections: (Int) -> ArraySlice<UInt8>, count: Int,
                                  namesIndex: Int) -> (name: String, crc: UInt32)? {
        guard namesIndex < count, section(sections(namesIndex)).size <= 1 << 20,
              let names = file.bytes(at: section(sections(namesIndex)).offset, count: section(sections(namesIndex)).size) else { return nil }
        for i in 0..<count {
            let nameOffset = Int(sections(i).u32(0))
            guard nameOffset < names.count else { continue }
            let end = names[nameOffset...].firstIndex(of: 0) ?? names.count
            guard names[nameOffset..<end].elementsEqual(".gnu_debuglink".utf8) else { continue }
            let (offset, size) = section(sections(i))
            guard size >= 8, size <= 4096, let data = file.bytes(at: offset, count: size),
                  let nul = data.firstIndex(of: 0), nul > 0 else { return nil }
            let crcAt = (nul + 4) & ~3
            guard crcAt + 4 <= data.count else { return nil }
            return (String(decoding: data[..<nul], as: UTF8.self), data[crcAt...].u32(0))
        }
        return nil
    }

    private static func section(_ header: ArraySlice<UInt8>) -> (offset: UInt64, size: UInt64) {
        (header.u64(24), header.u64(32))
    }

    /// The NT_GNU_BUILD_ID note's bytes in hex, from a PT_NOTE segment's notes (each: name
    /// size, descriptor size, type, then name and descriptor padded to 4 bytes).
    static func buildID(in notes: [UInt8]) -> String? {
        var at = 0
        while at + 12 <= notes.count {
            let note = notes[at...]
            let nameSize = Int(note.u32(0)), descSize = Int(note.u32(4)), type = note.u32(8)
            let nameEnd = at + 12 + ((nameSize + 3) & ~3)
            let descEnd = nameEnd + ((descSize + 3) & ~3)
            guard nameSize <= 4096, descSize <= 4096, descEnd <= notes.count else { return nil }
            if type == 3, nameSize == 4, notes[(at + 12)..<(at + 16)].elementsEqual([0x47, 0x4E, 0x55, 0]) {  // "GNU"
                return notes[nameEnd..<(nameEnd + descSize)].map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            }
            at = descEnd
        }
        return nil
    }

    private static func functions(_ symbols: [UInt8], _ strings: [UInt8], into entries: inout [SymbolTable.Entry]) {
        let count = symbols.count / 24
        entries.reserveCapacity(entries.count + count)
        for i in 0..<count {
            let sym = symbols[(i * 24)...]
            let type = sym.u8(4) & 0xF
            guard type == 2 || type == 10, sym.u16(6) != 0 else { continue }  // FUNC or IFUNC, defined
            let value = sym.u64(8)
            guard value != 0, let nameOffset = Int(exactly: sym.u32(0)), nameOffset < strings.count else { continue }
            var end = strings[nameOffset...].firstIndex(of: 0) ?? strings.count
            // "__libc_start_main@GLIBC_2.2.5" (a .symtab's versioned alias): the name the
            // .dynsym and every tool show
            if let at = strings[nameOffset..<end].firstIndex(of: UInt8(ascii: "@")), at > nameOffset { end = at }
            entries.append(.init(start: value, size: sym.u64(16), name: String(decoding: strings[nameOffset..<end], as: UTF8.self)))
        }
    }

    /// The virtual address (as in the symbol table) of a file offset, through the segment
    /// that maps it: what makes PIE executables and shared libraries resolve wherever loaded.
    /// Wrapping arithmetic: the segment values are the file's claims.
    func address(ofFileOffset offset: UInt64) -> UInt64? {
        guard let segment = segments.first(where: { offset >= $0.offset && offset - $0.offset < max($0.fileSize, 1) }) else {
            return nil
        }
        return (offset - segment.offset) &+ segment.vaddr
    }
}
