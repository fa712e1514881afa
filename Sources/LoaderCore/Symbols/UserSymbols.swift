import Glibc

/// Resolves user-space addresses of processes: each process's mappings (/proc/PID/maps, read
/// once), the ELF symbols of the files mapped (read once per file, through /proc/PID/root so
/// that a container's binaries are found), and JIT maps (/tmp/perf-PID.map) for anonymous
/// code. A process that has exited resolves to "[unknown]".
public final class UserSymbols: @unchecked Sendable {
    struct Mapping {
        let start: UInt64
        let end: UInt64
        let offset: UInt64
        let path: String  /// empty for anonymous memory
        let inode: UInt64
    }

    private struct ProcessInfo {
        let mappings: [Mapping]
        let perfMap: SymbolTable?
    }

    private var processes: [UInt32: ProcessInfo] = [:]
    /// By device:inode (or path), so a library shared by many processes is read once.
    private var files: [String: ELFSymbols?] = [:]

    public init() {}

    /// Stacks share most of their addresses: each is resolved once per process.
    private var resolved: [UInt32: [UInt64: Frame]] = [:]

    public func frame(_ address: UInt64, pid: UInt32) -> Frame {
        if let frame = resolved[pid]?[address] { return frame }
        let frame = resolve(address, pid: pid)
        resolved[pid, default: [:]][address] = frame
        return frame
    }

    private func resolve(_ address: UInt64, pid: UInt32) -> Frame {
        let process = info(pid)
        guard let mapping = process.mappings.first(where: { address >= $0.start && address < $0.end }) else {
            if let perf = process.perfMap, let (name, offset) = perf.lookup(address) {
                return Frame(name: name, offset: offset, module: "perf-\(pid).map")
            }
            return .unknown
        }
        if mapping.path.isEmpty || mapping.path.hasPrefix("[") {
            if let perf = process.perfMap, let (name, offset) = perf.lookup(address) {
                return Frame(name: name, offset: offset, module: "perf-\(pid).map")
            }
            return Frame(name: nil, module: mapping.path.isEmpty ? nil : mapping.path)
        }
        let module = String(mapping.path.split(separator: "/").last ?? "")
        guard let elf = symbols(of: mapping, pid: pid),
              let vaddr = elf.address(ofFileOffset: address - mapping.start + mapping.offset),
              let (name, offset) = elf.symbols.lookup(vaddr) else {
            return Frame(name: nil, module: module)
        }
        return Frame(name: name, offset: offset, module: module)
    }

    private func info(_ pid: UInt32) -> ProcessInfo {
        if let known = processes[pid] { return known }
        let maps = (try? readFile("/proc/\(pid)/maps")) ?? ""
        let mappings = maps.split(separator: "\n").compactMap(Self.parse)
        let perfText = try? readFile("/proc/\(pid)/root/tmp/perf-\(pid).map")
        let info = ProcessInfo(mappings: mappings,
                               perfMap: perfText.map(Self.parsePerfMap))
        processes[pid] = info
        return info
    }

    /// "55d0c8a00000-55d0c8a02000 r-xp 00002000 fd:00 1234 /usr/bin/x", executable ones only.
    static func parse(_ line: Substring) -> Mapping? {
        let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
        guard fields.count >= 5, fields[1].dropFirst(2).first == "x" else { return nil }
        let range = fields[0].split(separator: "-")
        guard range.count == 2, let start = UInt64(range[0], radix: 16), let end = UInt64(range[1], radix: 16),
              let offset = UInt64(fields[2], radix: 16) else { return nil }
        let path = fields.count > 5 ? String(fields[5].trimmed) : ""
        return Mapping(start: start, end: end, offset: offset, path: path, inode: UInt64(fields[4]) ?? 0)
    }

    /// "START SIZE name" in hex, one per line (the perf JIT map format).
    static func parsePerfMap(_ text: String) -> SymbolTable {
        SymbolTable(text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            func hex(_ s: Substring) -> UInt64? { UInt64(s.hasPrefix("0x") ? s.dropFirst(2) : s, radix: 16) }
            guard fields.count == 3, let start = hex(fields[0]), let size = hex(fields[1]) else { return nil }
            return .init(start: start, size: size, name: String(fields[2]))
        })
    }

    private func symbols(of mapping: Mapping, pid: UInt32) -> ELFSymbols? {
        let key = "\(mapping.inode):\(mapping.path)"
        if let cached = files[key] { return cached }
        // The file as the process sees it (its mount namespace), else the mapping itself
        // (a file deleted or replaced since it was mapped).
        let elf = ELFSymbols(path: "/proc/\(pid)/root\(mapping.path)")
            ?? ELFSymbols(path: "/proc/\(pid)/map_files/\(String(mapping.start, radix: 16))-\(String(mapping.end, radix: 16))")
        files[key] = elf
        return elf
    }
}
