import CLibbpf
import Glibc

/// Finds the separate debug file of a stripped binary (one without .symtab), where gdb, perf
/// and elfutils look: by build ID under each debug directory (.build-id/xx/rest.debug), by its
/// .gnu_debuglink name (next to the binary, in its .debug directory, and under each debug
/// directory's copy of its directory), then through debuginfod when the user set
/// DEBUGINFOD_URLS. A candidate is used only when it is the right file: its build ID equals the
/// binary's, or, when either has none, its CRC-32 equals the debug link's.
///
/// The directories are BPF_TOOLS_DEBUG_DIRS (colon-separated), else /usr/lib/debug. Files next
/// to the binary are the binary owner's, hence opened as UntrustedFile like the binary itself.
final class DebugFiles: @unchecked Sendable {
    let directories: [String]
    private let debuginfod: DebuginfodClient?
    private let report: (String) -> Void

    init(environment: [String: String] = DebugFiles.environment(), report: @escaping (String) -> Void) {
        directories = environment["BPF_TOOLS_DEBUG_DIRS"].map { $0.split(separator: ":").map(String.init) } ?? ["/usr/lib/debug"]
        debuginfod = DebuginfodClient(environment: environment)
        self.report = report
        if debuginfod == nil, let urls = environment["DEBUGINFOD_URLS"], !urls.trimmed.isEmpty {
            report("DEBUGINFOD_URLS is set, but debuginfod-find (Debian's debuginfod package) is not installed")
        }
    }

    static func environment() -> [String: String] {
        var result: [String: String] = [:]
        for key in ["BPF_TOOLS_DEBUG_DIRS", "DEBUGINFOD_URLS"] {
            if let value = getenv(key) { result[key] = String(cString: value) }
        }
        return result
    }

    /// The symbols of the debug file of `binary` (mapped at `path` in process `pid`), nil when
    /// none is found.
    func symbols(for binary: ELFSymbols, path: String, pid: UInt32) -> ELFSymbols? {
        var candidates: [(path: String, inRootOf: UInt32?)] = []
        if let id = binary.buildID, id.count > 2 {
            let file = ".build-id/\(id.prefix(2))/\(id.dropFirst(2)).debug"
            candidates += directories.map { ("\($0)/\(file)", nil) }
        }
        if let link = binary.debugLink, !link.name.contains("/") {
            let dir = path.hasSuffix(" (deleted)") ? "" : String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
            candidates += [("\(dir)/\(link.name)", pid), ("\(dir)/.debug/\(link.name)", pid)]
            candidates += directories.map { ("\($0)\(dir)/\(link.name)", nil) }
        }
        for candidate in candidates {
            do throws(UntrustedFile.Refusal) {
                let file = try UntrustedFile(path: candidate.path, inRootOf: candidate.inRootOf, maxSize: .max)
                if let symbols = matching(file, name: candidate.path, binary) { return symbols }
            } catch {
                if !error.isMissing { report("debug file \(error)") }
            }
        }
        if let debuginfod, let id = binary.buildID, let fetched = debuginfod.debuginfo(buildID: id, report: report) {
            do throws(UntrustedFile.Refusal) {
                let file = try UntrustedFile(path: fetched, maxSize: .max)
                if let symbols = matching(file, name: fetched, binary) { return symbols }
            } catch {
                report("debug file from debuginfod \(error)")
            }
        }
        return nil
    }

    /// The binary's symbols from `file` when it is the binary's debug file and has a .symtab.
    private func matching(_ file: borrowing UntrustedFile, name: String, _ binary: ELFSymbols) -> ELFSymbols? {
        let debug = ELFSymbols(file: file, name: name)
        if let wanted = binary.buildID, let found = debug.buildID {
            guard wanted == found else {
                report("\(name): build ID \(found), not the binary's \(wanted)")
                return nil
            }
        } else if let link = binary.debugLink {
            guard Self.crc32(file) == link.crc else {
                report("\(name): its CRC-32 is not the one the binary's .gnu_debuglink names")
                return nil
            }
        } else {
            return nil
        }
        guard debug.hasFullSymbols else { return nil }
        return ELFSymbols(binary, symbolsOf: debug)
    }

    /// zlib's CRC-32 of the whole file, read 1 MiB at a time.
    static func crc32(_ file: borrowing UntrustedFile) -> UInt32? {
        var crc: UInt = 0
        var offset: UInt64 = 0
        while offset < file.size {
            let count = min(file.size - offset, 1 << 20)
            guard let chunk = file.bytes(at: offset, count: count) else { return nil }
            crc = chunk.withUnsafeBufferPointer { CLibbpf.crc32(crc, $0.baseAddress, UInt32(chunk.count)) }
            offset += count
        }
        return UInt32(truncatingIfNeeded: crc)
    }
}
