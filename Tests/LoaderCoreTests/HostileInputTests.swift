import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import LoaderCore

/// What unprivileged users control (names, arguments, paths, binaries, perf maps) against the
/// core pieces that read and print it: no trap, no stall, no raw control character out.
@Suite struct TerminalTextTests {
    @Test func controlCharactersAreEscaped() {
        #expect(TerminalText.escaped("plain text, \\ and ünïcode") == "plain text, \\ and ünïcode")
        #expect(TerminalText.escaped("a\u{1b}[31mred\rX\u{8}\u{7}") == "a\\x1b[31mred\\x0dX\\x08\\x07")
        #expect(TerminalText.escaped("line\nnext\ttab") == "line\\nnext\\ttab")
        #expect(TerminalText.escaped("c1\u{9b}2J del\u{7f}") == "c1\\x9b2J del\\x7f")
        #expect(TerminalText.escaped("\u{0}") == "\\x00")
    }

    @Test func tableRowsAndJSONCarryNoControlCharacters() {
        let output = TableOutput([Column("COMM", header: "%-16s ", row: "%-16s "), Column("ARGS", header: "%s", row: "%s")], json: false)
        let row = output.table.row([.text("ev\u{1b}]0;pwned\u{7}"), .list(display: "a\nb", items: ["a\nb"])])
        #expect(row == "ev\\x1b]0;pwned\\x07 a\\nb")
        let json = output.table.json([.text("x\u{1b}\u{9b}\u{7f}"), .list(display: "", items: [])])
        #expect(json == #"{"comm": "x\u001b\u009b\u007f", "args": []}"#)
    }

    @Test func symbolNamesCannotForgeFoldedLines() {
        let frame = Frame(name: "f\nsshd;EVIL 45", offset: 1, module: "m\u{1b}")
        #expect(frame.bare == "f\\nsshd;EVIL 45")
        #expect(frame.detailed == "f\\nsshd;EVIL 45+0x1 [m\\x1b]")
    }

    @Test func flameGraphIsValidXMLWithControlCharacters() throws {
        let svg = FlameGraph(title: "t", samples: [(["comm\u{1}", "f\u{fffe}"], 2)]).svg()
        #expect(!svg.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map(String.init(describing:)) ?? "")")
    }
}

@Suite struct SearchPatternTests {
    @Test func searchesAsPythonDoes() throws {
        #expect(try SearchPattern("main").matches("mymain.c"))
        #expect(try SearchPattern("^/tmp/x").matches("/tmp/x arg"))
        #expect(try !SearchPattern("^/tmp/x").matches("a /tmp/x"))
        #expect(try SearchPattern("v\\d+$").matches("tool v12"))
        #expect(try !SearchPattern("v\\d+$").matches("tool vx"))
        #expect(try SearchPattern("[\\d]x").matches("7x"))
        #expect(try SearchPattern("a|^b").matches("bc"))
        #expect(try SearchPattern("a.*?b").matches("xaab"))
    }

    /// Exponential for a backtracking engine (seconds at 30 characters); one pass here.
    @Test func catastrophicPatternsStayLinear() throws {
        let text = String(repeating: "a", count: 200_000) + "!"
        #expect(try !SearchPattern("(a+)+$").matches(text))
        #expect(try !SearchPattern("(a|aa)+b").matches(text))
        #expect(try SearchPattern("(a+)+!").matches(text))
    }

    @Test func refusesWhatCannotBeLinear() {
        #expect(throws: SearchPattern.Invalid.self) { try SearchPattern("(a)\\1") }
        #expect(throws: SearchPattern.Invalid.self) { try SearchPattern("(?i)abc") }
        #expect(throws: SearchPattern.Invalid.self) { try SearchPattern("(") }
    }
}

@Suite struct UntrustedFileTests {
    let dir: String

    init() throws {
        dir = NSTemporaryDirectory() + "untrusted-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    @Test func fifoSymlinkAndDeviceAreRefusedAtOnce() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo("\(dir)/fifo", 0o644) == 0)
        #expect(throws: UntrustedFile.Refusal.self) { _ = try UntrustedFile(path: "\(dir)/fifo", maxSize: 1 << 20) }
        try FileManager.default.createSymbolicLink(atPath: "\(dir)/zero", withDestinationPath: "/dev/zero")
        #expect(throws: UntrustedFile.Refusal.self) { _ = try UntrustedFile(path: "\(dir)/zero", maxSize: 1 << 20) }
        #expect(throws: UntrustedFile.Refusal.self) { _ = try UntrustedFile(path: "/dev/zero", maxSize: 1 << 20) }
    }

    @Test func sizeCapAndOwnerAreChecked() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = "\(dir)/big"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        #expect(truncate(path, 1 << 30) == 0)  // sparse: 1 GiB that costs nothing on disk
        #expect(throws: UntrustedFile.Refusal.self) { _ = try UntrustedFile(path: path, maxSize: 64 << 20) }
        #expect(truncate(path, 10) == 0)
        #expect(chown(path, 4242, 4242) == 0 || geteuid() != 0)
        if geteuid() == 0 {
            #expect(throws: UntrustedFile.Refusal.self) { _ = try UntrustedFile(path: path, maxSize: 64 << 20, ownedByRootOr: 1000) }
            let file = try UntrustedFile(path: path, maxSize: 64 << 20, ownedByRootOr: 4242)
            #expect(file.contents().count == 10)
            #expect(file.bytes(at: 8, count: 4) == nil)  // past the end
            #expect(file.bytes(at: UInt64.max, count: 2) == nil)  // overflowing
        }
    }

    @Test func perfMapWithCRLFLineEnds() {
        let perf = UserSymbols.parsePerfMap("1000 10 first\r\n2000 10 second\r\n")
        #expect(perf.lookup(0x1004)?.name == "first")
        #expect(perf.lookup(0x2004)?.name == "second")
    }
}

/// ELF files crafted to trap or exhaust a naive reader, and random mutations of a real one
/// (a deterministic fuzz: the same inputs on every run; crashes found are kept below as
/// regression cases).
@Suite struct ELFReaderTests {
    static func elf(phoff: UInt64 = 0, phentsize: UInt16 = 56, phnum: UInt16 = 0, shoff: UInt64 = 0,
                    shentsize: UInt16 = 64, shnum: UInt16 = 0, extra: [UInt8] = []) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 64)
        h[0...5] = [0x7F, 0x45, 0x4C, 0x46, 2, 1]
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { h[at + i] = b } } }
        put(phoff, 32); put(shoff, 40); put(phentsize, 54); put(phnum, 56); put(shentsize, 58); put(shnum, 60)
        return h + extra
    }

    /// A section header table of one SHT_SYMTAB section at 64 whose fields are `symOffset`,
    /// `symSize`, linking to itself as the string table.
    static func symtabFile(symOffset: UInt64, symSize: UInt64) -> [UInt8] {
        var sh = [UInt8](repeating: 0, count: 64)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { withUnsafeBytes(of: v.littleEndian) { for (i, b) in $0.enumerated() { sh[at + i] = b } } }
        put(UInt32(2), 4); put(symOffset, 24); put(symSize, 32); put(UInt32(0), 40)
        return elf(shoff: 64, shnum: 1, extra: sh)
    }

    static let crafted: [(String, [UInt8])] = [
        ("program headers at 2^63", elf(phoff: 1 << 63, phnum: 3)),
        ("section headers at 2^64-1", elf(shoff: .max, shnum: 5)),
        ("65535 huge program headers", elf(phoff: 64, phentsize: 65535, phnum: 65535)),
        ("symbol table of 2^63 bytes", symtabFile(symOffset: 0, symSize: 1 << 63)),
        ("symbol table of 1 GiB - 1", symtabFile(symOffset: 0, symSize: (1 << 30) - 1)),
        ("symbol table whose end overflows", symtabFile(symOffset: .max - 10, symSize: 100)),
        ("truncated header", Array(elf().prefix(20))),
    ]

    func symbols(of bytes: [UInt8]) throws -> ELFSymbols {
        let path = NSTemporaryDirectory() + "elf-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        let file = try UntrustedFile(path: path, maxSize: .max)
        return ELFSymbols(file: file, name: "crafted")
    }

    @Test(arguments: crafted.indices)
    func craftedHeadersGiveNoSymbolsAndAReason(index: Int) throws {
        let elf = try symbols(of: Self.crafted[index].1)
        #expect(elf.symbols.isEmpty, "\(Self.crafted[index].0)")
        #expect(elf.problem != nil, "\(Self.crafted[index].0)")
    }

    @Test func mutatedRealBinariesNeverTrap() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "/bin/true")))
        let reference = try symbols(of: original)
        #expect(!reference.segments.isEmpty)
        var random = SplitMix(seed: 0x5EED)
        let headerEnd = min(original.count, 4096)
        for _ in 0..<300 {
            var bytes = original
            for _ in 0..<(1 + Int(random.next() % 8)) {
                // mostly the headers and tables a reader trusts, sometimes anywhere
                let limit = random.next() % 4 == 0 ? bytes.count : headerEnd
                bytes[Int(random.next() % UInt64(limit))] = UInt8(truncatingIfNeeded: random.next())
            }
            let elf = try symbols(of: bytes)
            _ = elf.address(ofFileOffset: random.next())
            _ = elf.symbols.lookup(random.next())
        }
    }
}

/// A small deterministic random generator (SplitMix64) for the fuzz loop.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ArgumentAndClockLimitTests {
    @Test func hugeDurationsAreUsageErrors() {
        #expect(throws: Error.self) { try ArgumentLimits.checkPositive(99_999_999_999, "-d/--duration", unit: "seconds", max: ArgumentLimits.maxSeconds) }
        #expect(throws: Error.self) { try ArgumentLimits.checkPositive(0, "interval", unit: "seconds", max: ArgumentLimits.maxSeconds) }
        #expect(throws: Never.self) { try ArgumentLimits.checkPositive(ArgumentLimits.maxSeconds, "interval", unit: "seconds", max: ArgumentLimits.maxSeconds) }
    }

    @Test func clockArithmeticNeverTraps() {
        #expect(Clock.difference(5, since: 7) == -2)
        #expect(Clock.difference(7, since: 5) == 2)
        #expect(Clock.nanoseconds(1e300) == .max)
        #expect(Clock.nanoseconds(-1) == 0)
        #expect(Clock.nanoseconds(1.5) == 1_500_000_000)
    }
}

/// The text symbol readers (perf maps, /proc/kallsyms) on random and mutated lines: no trap,
/// whatever the bytes (a deterministic fuzz, as for ELF files above).
@Suite struct TextSymbolReaderTests {
    static func mutatedLines(_ seed: UInt64, count: Int, base: [String]) -> String {
        var random = SplitMix(seed: seed)
        var bytes: [UInt8] = []
        for i in 0..<count {
            var line = Array(base[i % base.count].utf8)
            for _ in 0..<Int(random.next() % 4) where !line.isEmpty {
                let at = Int(random.next() % UInt64(line.count))
                switch random.next() % 3 {
                case 0: line[at] = UInt8(truncatingIfNeeded: random.next())
                case 1: line.insert(contentsOf: [0x0D, 0x0A, 0x20, 0x09, 0x00, 0x5B, 0x5D].shuffled(using: &random).prefix(2), at: at)
                default: line.removeSubrange(at..<min(line.count, at + Int(random.next() % 8)))
                }
            }
            bytes += line + [0x0A]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    @Test func perfMapsNeverTrap() {
        let base = ["7f0000001000 20 jitted_a", "0x7f0000002000 0x10 jitted b", "ffffffffffffffff ffffffffffffffff wrap",
                    "0 0 zero", "12 x bad", "7f0000003000 10"]
        for seed in 0..<64 as Range<UInt64> {
            let table = UserSymbols.parsePerfMap(Self.mutatedLines(seed, count: 200, base: base))
            var random = SplitMix(seed: seed)
            for _ in 0..<100 { _ = table.lookup(random.next()) }
            _ = table.lookup(.max)
            _ = table.lookup(0)
        }
    }

    @Test func kallsymsNeverTraps() throws {
        let base = ["ffffffff81000000 T _stext", "ffffffffc0a01000 t ext4_fill_super\t[ext4]", "0000000000000000 T zeroed",
                    "ffffffffffffffff W last [mod", "ffffffff81000010 t ]odd[ [x]"]
        let path = NSTemporaryDirectory() + "kallsyms-\(UUID().uuidString.prefix(8))"
        defer { unlink(path) }
        for seed in 0..<32 as Range<UInt64> {
            try Self.mutatedLines(seed, count: 300, base: base).write(toFile: path, atomically: false, encoding: .utf8)
            let symbols = KernelSymbols(path: path)
            var random = SplitMix(seed: seed)
            for _ in 0..<50 { _ = symbols.frame(random.next() | 0xffff_ffff_0000_0000).detailed }
            _ = symbols.frame(.max).bare
        }
    }
}

extension SplitMix: RandomNumberGenerator {}
