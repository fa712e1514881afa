import CLibbpf
import Glibc

/// C++ and Rust symbol names as people read them, through binutils' demangler (libiberty's
/// cplus_demangle: the Itanium C++ ABI's `_Z` names, Rust's legacy `_ZN...17h<hash>E` and v0
/// `_R` names), as perf and BCC show them. Not a demangler of our own: the grammar is large
/// and names come from any user's binaries.
public enum Demangler {
    /// Names longer than this are left as they are: the demangler's work and output grow with
    /// the name, and a crafted binary could hold megabytes of one.
    static let maxNameBytes = 4096

    /// The readable form of `name`, or `name` itself when it is not a mangled name (C, Swift
    /// frames) or does not demangle.
    public static func demangle(_ name: String) -> String {
        guard name.hasPrefix("_Z") || name.hasPrefix("_R"), name.utf8.count <= maxNameBytes else { return name }
        guard let raw = cplus_demangle(name, SHIM_DMGL_PARAMS | SHIM_DMGL_ANSI | SHIM_DMGL_AUTO) else { return name }
        defer { free(raw) }
        return String(decoding: UnsafeRawBufferPointer(start: raw, count: strlen(raw)), as: UTF8.self)
    }
}
