import CLibbpf
import Glibc

/// Gives back the memory only start-up needed, once a tool is up.
///
/// Most of a fresh tool's resident memory is its own static executable's pages: option
/// parsing, BTF and ELF parsing and libbpf's loader run once, and the kernel maps every page of
/// the file around each page they touched (fault-around: 64 KiB windows). Dropping our mapping
/// of pages that are the file's own (MADV_DONTNEED) loses nothing: what the event loop uses
/// faults back in from the page cache as it runs, and the resident set is what the tool uses
/// from then on. The linker puts that code together (scripts/hot-symbols.order), so it comes
/// back as a few windows instead of one per function.
///
/// - Code (r-xp) is never written: all of it goes.
/// - The writable mapping holds .data and, because Swift emits some of its constant data as
///   writable, all of .rodata (2.4 MB): only its pages still shared with the page cache go,
///   the ones never written (pagemap's file-page bit); a written page is private and kept.
///   A page written between that look and the drop would lose the write, so this part is done
///   only while the tool has a single thread.
/// - Read-only mappings are kept: the RELRO one holds the GOT the static binary's IFUNC
///   relocations wrote before it was made read-only (dropping it made the next memcpy() jump
///   to nowhere).
///
/// Everything is decided before the first page is dropped, and code goes last: code that runs
/// after its page was dropped faults its window back in (parsing /proc/self/maps there brought
/// back ~1.3 MB, measured with perf's minor-faults). The heap's free pages go back too
/// (malloc_trim). A uprobe someone placed on this tool's own code lives in such a page and
/// would be dropped with it; nothing in these tools does that.
public enum MemoryTrim {
    public static func afterStartup() {
        _ = malloc_trim(0)
        guard let exe = readLink("/proc/self/exe"), let maps = try? readFile("/proc/self/maps") else { return }
        let mine = maps.split(separator: "\n").compactMap(ProcessMapping.parse).filter { $0.path == exe && $0.end > $0.start }
        var drops = mine.filter { $0.permissions == "rw-p" && singleThreaded() }.flatMap(unwrittenPages)
        drops += mine.filter { $0.permissions == "r-xp" }.map { $0.start..<$0.end }
        let ranges = drops.compactMap { range -> (UnsafeMutableRawPointer, Int)? in
            guard let address = UnsafeMutableRawPointer(bitPattern: UInt(range.lowerBound)),
                  let length = Int(exactly: range.upperBound - range.lowerBound) else { return nil }
            return (address, length)
        }
        for (address, length) in ranges { _ = madvise(address, length, MADV_DONTNEED) }
    }

    static func singleThreaded() -> Bool {
        ((try? readFile("/proc/self/status")) ?? "").split(separator: "\n").contains { $0 == "Threads:\t1" }
    }

    /// The runs of pages of a private file mapping that are present and still the file's
    /// (pagemap: bit 63 present, bit 61 file page; a written page has become anonymous).
    static func unwrittenPages(of mapping: ProcessMapping) -> [Range<UInt64>] {
        let page = UInt64(max(sysconf(Int32(_SC_PAGESIZE)), 4096))
        guard mapping.end > mapping.start, let count = Int(exactly: (mapping.end - mapping.start) / page),
              count > 0, count <= 1 << 24 else { return [] }  // 64 GiB: no mapping of a binary
        let fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var entries = [UInt64](repeating: 0, count: count)
        let size = count * 8
        let (offset, overflow) = (mapping.start / page).multipliedReportingOverflow(by: 8)
        guard !overflow, let at = off_t(exactly: offset),
              entries.withUnsafeMutableBytes({ pread(fd, $0.baseAddress, size, at) }) == size else { return [] }
        var runs: [Range<UInt64>] = []
        var runStart: UInt64?
        for (i, entry) in entries.enumerated() {
            let address = mapping.start + UInt64(i) * page
            let unwritten = entry & (1 << 63) != 0 && entry & (1 << 61) != 0
            if unwritten, runStart == nil { runStart = address }
            if !unwritten, let start = runStart { runs.append(start..<address); runStart = nil }
        }
        if let start = runStart { runs.append(start..<mapping.end) }
        return runs
    }
}
