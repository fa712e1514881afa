import ArgumentParser
import BPFEvents

/// --unwind: how user stacks are walked.
enum UnwindMode: String, CaseIterable, ExpressibleByArgument, Sendable {
    /// CFI at first; frame pointers, in the kernel, for a process once its frame-pointer
    /// stacks were the same as CFI's.
    case auto
    /// CFI for every sample (perf's --call-graph dwarf).
    case dwarf
    /// Frame pointers, in the kernel (BCC's way): stacks through code built without them lose
    /// callers.
    case fp

    var bpfValue: UInt32 {
        switch self {
        case .auto: UInt32(PROFILE_UNWIND_AUTO)
        case .dwarf: UInt32(PROFILE_UNWIND_DWARF)
        case .fp: UInt32(PROFILE_UNWIND_FP)
        }
    }
}
