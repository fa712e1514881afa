import CLibdw
import Glibc

/// The ELF files the unwinding sessions read, each opened once for all the sessions of
/// processes that map it (libc, the dynamic loader, a server's binary in every worker).
/// libdwfl maps a file per session when it opens it itself, and each mapping's pages count in
/// profile's RSS again: with a short-lived process every 30 ms, that was most of 200 MB. A
/// session's module takes a reference to the shared handle (libelf counts them) through
/// `find_elf` (DwflCallbacks), and the file is closed when no session uses it.
///
/// Files are read (ELF_C_READ: the sections libdwfl asks for, with pread), never mapped: a
/// user may truncate a library their process loaded, and a mapping's pages past the new end
/// raise SIGBUS in whoever reads them, which killed profile (a read just comes up short).
final class SharedELFFiles {
    /// Same device, inode, size and modification time: the same contents.
    fileprivate struct Identity: Hashable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int64
        let modifiedNs: Int64
    }

    final class File {
        let fd: Int32
        let elf: OpaquePointer
        let path: String
        fileprivate let identity: Identity
        fileprivate var users = 0
        /// Whether the file's own CFI (.eh_frame) covers its code. libdwfl falls back to a
        /// debug file's .debug_frame wherever .eh_frame ends a walk (at every stack's outermost
        /// frame), and opened and parsed libc's 5 MB debug file once per session: 0.5 MB mapped
        /// and ~0.5 MB of heap for every process sampled (a shell loop starting 300 processes a
        /// second took profile to 265 MB), for no frame more: Debian's debug files have no
        /// .debug_frame, their binaries' .eh_frame covers everything. A file whose .eh_frame
        /// indexes 16 functions or fewer (a program built without unwind tables, whose only
        /// FDEs are the C start-up files') still gets its debug file.
        let hasOwnCFI: Bool

        fileprivate init(fd: Int32, elf: OpaquePointer, path: String, identity: Identity) {
            (self.fd, self.elf, self.path, self.identity) = (fd, elf, path, identity)
            hasOwnCFI = (Self.indexedFunctions(elf) ?? 0) > 16
        }

        /// The number of FDEs .eh_frame_hdr's search table holds; nil without one, or in an
        /// encoding other than the usual (a 4-byte frame pointer, a 4-byte count).
        private static func indexedFunctions(_ elf: OpaquePointer) -> UInt32? {
            var names = 0
            guard elf_getshdrstrndx(elf, &names) == 0 else { return nil }
            var section = elf_nextscn(elf, nil)
            while let current = section {
                defer { section = elf_nextscn(elf, current) }
                var header = GElf_Shdr()
                guard gelf_getshdr(current, &header) != nil, let name = elf_strptr(elf, names, Int(header.sh_name)),
                      String(cString: name) == ".eh_frame_hdr" else { continue }
                guard let data = elf_getdata(current, nil), let bytes = data.pointee.d_buf, data.pointee.d_size >= 12 else { return nil }
                let header4 = bytes.loadUnaligned(as: (UInt8, UInt8, UInt8, UInt8).self)
                // version 1; the frame pointer as DW_EH_PE_pcrel|sdata4, udata4 or sdata4; the count as udata4
                guard header4.0 == 1, [0x1b, 0x03, 0x0b].contains(header4.1), header4.2 == 0x03 else { return nil }
                return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
            }
            return nil
        }
    }

    private var files: [Identity: File] = [:]

    /// The file open on `fd` (a regular file; the descriptor is consumed), shared with the
    /// sessions already using it; nil when it is not an ELF file libelf can read.
    func acquire(fd: Int32, path: String) -> File? {
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG else {
            close(fd)
            return nil
        }
        let identity = Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
                                modified: Int64(st.st_mtim.tv_sec), modifiedNs: Int64(st.st_mtim.tv_nsec))
        if let known = files[identity] {
            close(fd)
            known.users += 1
            return known
        }
        guard let elf = elf_begin(fd, ELF_C_READ, nil) else {
            close(fd)
            return nil
        }
        guard elf_kind(elf) == ELF_K_ELF else {
            elf_end(elf)
            close(fd)
            return nil
        }
        let file = File(fd: fd, elf: elf, path: path, identity: identity)
        file.users = 1
        files[identity] = file
        return file
    }

    /// A session is done with `file` (after its dwfl_end, which dropped its modules' references).
    func release(_ file: File) {
        file.users -= 1
        guard file.users <= 0 else { return }
        files[file.identity] = nil
        elf_end(file.elf)
        close(file.fd)
    }
}
