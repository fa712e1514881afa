import CLibdw
import Glibc

/// The callbacks libdwfl calls while it unwinds a sample. They live for the whole run (libdwfl
/// keeps pointers to both tables), hence allocated once and never freed.
enum DwflCallbacks {
    /// A module's file is the shared handle in its userdata (ProcessUnwinder.report): a new
    /// reference to it (libelf counts them; the module's end drops it), no descriptor.
    /// `.debug_frame` of a binary whose `.eh_frame` does not cover it is looked for by build ID under
    /// /usr/lib/debug only: never through debuginfod, which would stall sampling on the network.
    nonisolated(unsafe) static let session: UnsafeMutablePointer<Dwfl_Callbacks> = {
        let table = UnsafeMutablePointer<Dwfl_Callbacks>.allocate(capacity: 1)
        table.initialize(to: Dwfl_Callbacks(
            find_elf: { _, userdata, _, _, fileName, elfp in
                guard let raw = userdata?.pointee, let elfp else { return -1 }
                let file = Unmanaged<SharedELFFiles.File>.fromOpaque(raw).takeUnretainedValue()
                elfp.pointee = elf_begin(-1, ELF_C_READ, file.elf)
                if let fileName, fileName.pointee == nil { fileName.pointee = strdup(file.path) }
                return -1
            },
            find_debuginfo: { module, userdata, name, base, fileName, debugLink, crc, debugFileName in
                // only for a file whose own CFI does not cover it (SharedELFFiles.File.hasOwnCFI)
                if let raw = userdata?.pointee, Unmanaged<SharedELFFiles.File>.fromOpaque(raw).takeUnretainedValue().hasOwnCFI {
                    return -1
                }
                return dwfl_build_id_find_debuginfo(module, userdata, name, base, fileName, debugLink, crc, debugFileName)
            },
            section_address: nil,
            debuginfo_path: nil))
        return table
    }()

    /// One thread per unwind, the sample's: its registers and stack copy come from the
    /// ProcessUnwinder passed as the process's argument.
    nonisolated(unsafe) static let thread: UnsafeMutablePointer<Dwfl_Thread_Callbacks> = {
        let table = UnsafeMutablePointer<Dwfl_Thread_Callbacks>.allocate(capacity: 1)
        table.initialize(to: Dwfl_Thread_Callbacks(
            next_thread: { _, _, _ in 0 },  // threads are only ever asked for by ID
            get_thread: { _, _, processArg, threadArg in
                threadArg?.pointee = processArg
                return true
            },
            memory_read: { _, address, result, processArg in
                guard let processArg, let result else { return false }
                let unwinder = Unmanaged<ProcessUnwinder>.fromOpaque(processArg).takeUnretainedValue()
                guard let word = unwinder.stackWord(at: address) else { return false }
                result.pointee = word
                return true
            },
            set_initial_registers: { thread, threadArg in
                guard let thread, let threadArg else { return false }
                let unwinder = Unmanaged<ProcessUnwinder>.fromOpaque(threadArg).takeUnretainedValue()
                return unwinder.setInitialRegisters(thread)
            },
            detach: nil,
            thread_detach: nil))
        return table
    }()
}
