import Glibc

/// What a user binary offers to probe at run time: its USDT probes (the `.note.stapsdt` notes
/// that `<sys/sdt.h>` writes) and its function names. The file may be anyone's (the binary
/// behind a process): it is read as an UntrustedFile, notes and tables within caps.
public struct UserBinary: Sendable {
    /// The path it was opened by (a path given by root, or /proc/PID/exe).
    public let path: String
    /// Its USDT probes, as `provider:name`.
    public let usdtProbes: Set<String>
    private let symbols: ELFSymbols

    /// Note sections read per file at most: USDT notes are ~100 bytes a probe (PostgreSQL's 72
    /// probes take 5 KiB).
    static let maxNoteBytes: UInt64 = 1 << 20

    /// Reads `path`, following a symlink (a server's binary is often one: mysqld -> mariadbd;
    /// /proc/PID/exe always is). Without `functions`, its symbol tables are not read (a large
    /// binary's take milliseconds) and `function(where:)` finds nothing.
    public init(path: String, functions: Bool = true) throws(UntrustedFile.Refusal) {
        let file = try UntrustedFile(path: path, maxSize: 1 << 36, followLinks: true)
        let symbols = ELFSymbols(file: file, name: path, readSymbols: functions)
        if symbols.segments.isEmpty, let problem = symbols.problem {
            throw UntrustedFile.Refusal(description: problem)
        }
        var probes = Set<String>()
        var budget = Self.maxNoteBytes
        for section in symbols.noteSections where section.size <= budget {
            budget -= section.size
            guard let notes = file.bytes(at: section.offset, count: section.size) else { continue }
            probes.formUnion(Self.usdtProbes(in: notes))
        }
        self.path = path
        self.symbols = symbols
        self.usdtProbes = probes
    }

    public func hasUSDT(provider: String, name: String) -> Bool {
        usdtProbes.contains("\(provider):\(name)")
    }

    /// The first function (in address order) whose name passes `test`.
    public func function(where test: (String) -> Bool) -> String? {
        symbols.symbols.names.first(where: test)
    }

    /// The `provider:name` of each stapsdt note (type 3, owner "stapsdt"; its descriptor is three
    /// addresses, then the provider, name and arguments as C strings).
    static func usdtProbes(in notes: [UInt8]) -> [String] {
        var result: [String] = []
        var at = 0
        while at + 12 <= notes.count {
            let note = notes[at...]
            let nameSize = Int(note.u32(0)), descSize = Int(note.u32(4)), type = note.u32(8)
            guard nameSize <= 4096, descSize <= 4096 else { break }
            let nameEnd = at + 12 + ((nameSize + 3) & ~3)
            let descEnd = nameEnd + ((descSize + 3) & ~3)
            guard descEnd <= notes.count else { break }
            if type == 3, nameSize == 8, notes[(at + 12)..<(at + 20)].elementsEqual(Array("stapsdt\0".utf8)), descSize > 24 {
                let strings = notes[(nameEnd + 24)..<(nameEnd + descSize)].split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
                if strings.count >= 2 {
                    result.append(String(decoding: strings[0], as: UTF8.self) + ":" + String(decoding: strings[1], as: UTF8.self))
                }
            }
            at = descEnd
        }
        return result
    }
}
