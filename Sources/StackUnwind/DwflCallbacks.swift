import CLibdw
import Glibc

/// The callbacks libdwfl calls while it unwinds a sample. They live for the whole run (libdwfl
/// keeps pointers to both tables), hence allocated once and never freed.
enum DwflCallbacks {
    /// Modules are reported with an open file (ProcessUnwinder.report), so `find_elf` is never
    /// needed; `.debug_frame` of a binary without `.eh_frame` is looked for by build ID under
    /// /usr/lib/debug only: never through debuginfod, which would stall sampling on the network.
    nonisolated(unsafe) static let session: UnsafeMutablePointer<Dwfl_Callbacks> = {
        let table = UnsafeMutablePointer<Dwfl_Callbacks>.allocate(capacity: 1)
        table.initialize(to: Dwfl_Callbacks(
            find_elf: { _, _, _, _, _, _ in -1 },
            find_debuginfo: dwfl_build_id_find_debuginfo,
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
