import CLibbpf
import Glibc

/// Gives back the memory only start-up needed, once a tool is up.
///
/// Most of a fresh tool's resident memory is its own static executable's code and read-only
/// data (5.7 of execsnoop's 8.5 MB): option parsing, BTF and ELF parsing and libbpf's loader
/// run once, and the kernel maps every page of the file around each page they touched
/// (fault-around). Code pages are never written, so dropping our mapping of them
/// (MADV_DONTNEED) loses nothing: the event loop's own code faults back in from the page
/// cache as it runs, and the resident set is what the tool uses from then on. Only the
/// executable mapping is dropped: a read-only one may hold pages written at start-up (the
/// RELRO segment, whose GOT the static binary's IFUNC relocations filled before it was made
/// read-only: dropping it made the next memcpy() jump to nowhere). The heap's free pages go back too
/// (malloc_trim). A uprobe someone placed on this tool's own code lives in such a page and
/// would be dropped with it; nothing in these tools does that.
public enum MemoryTrim {
    public static func afterStartup() {
        guard let exe = readLink("/proc/self/exe"), let maps = try? readFile("/proc/self/maps") else { return }
        for line in maps.split(separator: "\n") {
            guard let m = ProcessMapping.parse(line), m.path == exe, m.permissions == "r-xp",
                  m.end > m.start, let address = UnsafeMutableRawPointer(bitPattern: UInt(m.start)),
                  let length = Int(exactly: m.end - m.start) else { continue }
            _ = madvise(address, length, MADV_DONTNEED)
        }
        _ = malloc_trim(0)
    }
}
