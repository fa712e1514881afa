import Glibc

/// Resolves user-space addresses of processes: each process's mappings (/proc/PID/maps, read
/// once), the ELF symbols of the files mapped (read once per file: the mapped file itself
/// through /proc/PID/map_files, else its path inside the process's root, so that a container's
/// binaries are found), and JIT maps (/tmp/perf-PID.map) for anonymous code. A process that has
/// exited resolves to "[unknown]".
///
/// Every one of those files may belong to an unprivileged user: they are opened as
/// UntrustedFile (no FIFO, device or symlink, size caps), a perf map is used only when owned by
/// root or by the process's own user (as perf does), and a file that cannot be used gives
/// "[unknown]" frames and one `problems` line.
public final class UserSymbols: @unchecked Sendable {
    /// A file's executable mapping in a process.
    public struct MappedFile: Hashable, Sendable {
        public let start, end, offset: UInt64
        public let path: String
        public let buildID: String?
    }

    typealias Mapping = ProcessMapping

    private struct ProcessInfo {
        let mappings: [Mapping]
        let perfMap: SymbolTable?
    }

    private var processes: [UInt32: ProcessInfo] = [:]
    /// By device:inode (or path), so a library shared by many processes is read once.
    private var files: [String: ELFSymbols?] = [:]

    /// Called once per file that gave no symbols, with the reason (profile prints it with -v).
    private let report: (String) -> Void
    private var reported: Set<String> = []

    /// perf maps larger than this are not read: 64 MiB is some 500,000 JIT symbols.
    static let maxPerfMapBytes: UInt64 = 64 << 20

    /// Where stripped binaries' debug files are looked for.
    private lazy var debugFiles = DebugFiles(report: { [weak self] text in self?.problem(text) })

    /// Whether C++ and Rust names are shown demangled (profile's --no-demangle says not).
    private let demangle: Bool

    public init(demangle: Bool = true, problems report: @escaping (String) -> Void = { _ in }) {
        self.demangle = demangle
        self.report = report
    }

    private func problem(_ text: String) {
        if reported.insert(text).inserted { report(text) }
    }

    /// Stacks share most of their addresses: each is resolved once per process, in a table per
    /// process. The table of the previous lookup's process is kept at hand: a stack's frames are
    /// all one process's, so finding the table is not paid per frame.
    private var resolved: [UInt32: AddressTable<Frame>] = [:]
    /// The table of the previous lookup's process, not counted as a reference: `resolved`
    /// holds it for the life of this object (a counted one cost a retain and a release per frame).
    private var lastPID: UInt32 = 0
    private var lastTable: Unmanaged<AddressTable<Frame>>?

    public func frame(_ address: UInt64, pid: UInt32) -> Frame {
        if let lastTable, lastPID == pid, let frame = lastTable._withUnsafeGuaranteedRef({ $0[address] }) { return frame }
        let frames = resolved[pid] ?? AddressTable()
        resolved[pid] = frames
        (lastPID, lastTable) = (pid, Unmanaged.passUnretained(frames))
        if let frame = frames[address] { return frame }
        let frame = resolve(address, pid: pid)
        frames.insert(address, frame)
        return frame
    }

    /// The mapped file holding `address` in process `pid`: its range, the file offset of its
    /// start, its path and build ID (pprof's mappings). nil for anonymous memory, or a gone
    /// process.
    public func mapping(of address: UInt64, pid: UInt32) -> MappedFile? {
        guard let mapping = info(pid).mappings.first(where: { address >= $0.start && address < $0.end }),
              !mapping.path.isEmpty, !mapping.path.hasPrefix("[") else { return nil }
        return MappedFile(start: mapping.start, end: mapping.end, offset: mapping.offset, path: mapping.path,
                          buildID: symbols(of: mapping, pid: pid)?.buildID)
    }

    /// The program process `pid` runs: its executable mapping at the lowest address (the kernel
    /// maps the executable below its libraries, PIE or not). nil for a gone process.
    public func executable(pid: UInt32) -> MappedFile? {
        guard let first = info(pid).mappings.first(where: { !$0.path.isEmpty && !$0.path.hasPrefix("[") }) else { return nil }
        return mapping(of: first.start, pid: pid)
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
        return Frame(name: demangle ? Demangler.demangle(name) : name, offset: offset, module: module)
    }

    /// Reads process `pid`'s mappings and its files' symbols now, while it runs, so that its
    /// frames are named at the end even if it has exited by then. Once per process.
    /// Only the mappings are read and the files opened (cheap: a busy machine starts many
    /// processes, whose symbols are parsed at the end).
    public func remember(pid: UInt32) {
        guard processes[pid] == nil else { return }
        for mapping in info(pid).mappings where mapping.isFile {
            let key = "\(mapping.inode):\(mapping.path)"
            guard files[key] == nil, opened[key] == nil, let file = try? open(mapping, pid: pid) else { continue }
            opened[key] = OpenedFile(file)
        }
    }

    /// A file opened while its process ran (remember), to be read at the end.
    private final class OpenedFile {
        let file: UntrustedFile
        init(_ file: consuming UntrustedFile) { self.file = file }
    }
    private var opened: [String: OpenedFile] = [:]

    /// The mapped file itself (right even when deleted or replaced since), else the file as the
    /// process sees it (its mount namespace), resolved inside the process's root.
    private func open(_ mapping: Mapping, pid: UInt32) throws(UntrustedFile.Refusal) -> UntrustedFile {
        do {
            return try UntrustedFile(path: mapping.mapFilesPath(pid: pid), maxSize: .max, followLinks: true)
        } catch {
            return try UntrustedFile(path: mapping.path, inRootOf: pid, maxSize: .max)
        }
    }

    private func info(_ pid: UInt32) -> ProcessInfo {
        if let known = processes[pid] { return known }
        let mappings = ProcessMapping.all(pid: pid).filter(\.isExecutable)
        let info = ProcessInfo(mappings: mappings, perfMap: perfMap(pid))
        processes[pid] = info
        return info
    }

    /// "55d0c8a00000-55d0c8a02000 r-xp 00002000 fd:00 1234 /usr/bin/x", executable ones only.
    static func parse(_ line: Substring) -> Mapping? {
        guard let mapping = ProcessMapping.parse(line), mapping.isExecutable else { return nil }
        return mapping
    }

    /// The process's JIT map, when it has one it may have written itself: a regular file owned
    /// by root or by the process's user (the owner of /proc/PID), within the size cap.
    private func perfMap(_ pid: UInt32) -> SymbolTable? {
        var st = stat()
        guard stat("/proc/\(pid)", &st) == 0 else { return nil }
        let path = "/tmp/perf-\(pid).map"
        do throws(UntrustedFile.Refusal) {
            let file = try UntrustedFile(path: path, inRootOf: pid, maxSize: Self.maxPerfMapBytes, ownedByRootOr: st.st_uid)
            return Self.parsePerfMap(String(decoding: file.contents(), as: UTF8.self))
        } catch {
            if !error.isMissing { problem("perf map of PID \(pid): \(error)") }
            return nil
        }
    }

    /// "START SIZE name" in hex, one per line (the perf JIT map format; CRLF line ends too).
    static func parsePerfMap(_ text: String) -> SymbolTable {
        SymbolTable(text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 2)
            func hex(_ s: Substring) -> UInt64? { UInt64(s.hasPrefix("0x") ? s.dropFirst(2) : s, radix: 16) }
            guard fields.count == 3, let start = hex(fields[0]), let size = hex(fields[1]) else { return nil }
            return .init(start: start, size: size, name: String(fields[2]))
        })
    }

    private func symbols(of mapping: Mapping, pid: UInt32) -> ELFSymbols? {
        let key = "\(mapping.inode):\(mapping.path)"
        if let cached = files[key] { return cached }
        var elf: ELFSymbols?
        do {
            if let early = opened.removeValue(forKey: key) {
                elf = ELFSymbols(file: early.file, name: mapping.path)
            } else {
                elf = ELFSymbols(file: try open(mapping, pid: pid), name: mapping.path)
            }
        } catch {
            problem("no symbols for PID \(pid): \(error)")
            elf = nil
        }
        if let issue = elf?.problem { problem("no symbols from \(issue)") }
        // stripped (no .symtab): its local functions are in its debug file, if there is one
        if let binary = elf, !binary.hasFullSymbols {
            if let debug = debugFiles.symbols(for: binary, path: mapping.path, pid: pid) {
                elf = debug
            } else {
                problem("\(mapping.path) is stripped and no debug file was found (by build ID, .gnu_debuglink"
                        + (getenv("DEBUGINFOD_URLS") == nil ? "; DEBUGINFOD_URLS is not set)" : " or debuginfod)"))
            }
        }
        files[key] = elf
        return elf
    }
}
