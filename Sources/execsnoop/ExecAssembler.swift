import BPFEvents
import LoaderCore

/// One exec, complete: the EXIT record and the arguments that its ARGS records carried.
struct Exec {
    let exit: execsnoop_exit
    let args: [String]

    var comm: String { KernelString.from(tuple: exit.comm) }
    var pcomm: String { KernelString.from(tuple: exit.pcomm) }
    var moreArgs: Bool { exit.flags & EXECSNOOP_F_MORE_ARGS != 0 }
    var argCut: Bool { exit.flags & EXECSNOOP_F_ARG_CUT != 0 }
}

/// Joins ARGS records (sent at syscall entry) with the EXIT record (sent at return) by the
/// thread id the exec entered with.
final class ExecAssembler {
    /// More pending execs than the BPF side can track means EXIT records were lost.
    private static let maxPending = 10240

    private var pending: [UInt32: [UInt8]] = [:]

    /// The exec an EXIT record completes; nil for ARGS records (kept until their EXIT).
    func consume(_ record: UnsafeRawBufferPointer) -> Exec? {
        guard record.count >= 4 else { return nil }
        switch record.loadUnaligned(as: UInt32.self) {
        case UInt32(EXECSNOOP_REC_ARGS.rawValue):
            let headerSize = MemoryLayout<execsnoop_args_hdr>.size
            guard record.count >= headerSize else { return nil }
            let header = record.loadUnaligned(as: execsnoop_args_hdr.self)
            let size = min(Int(header.size), record.count - headerSize)
            if pending.count >= Self.maxPending && pending[header.tid] == nil { pending.removeAll() }
            if header.flags & EXECSNOOP_ARGS_F_RESTART != 0 { pending[header.tid] = [] }
            pending[header.tid, default: []].append(contentsOf: record[headerSize..<(headerSize + size)])
            return nil
        case UInt32(EXECSNOOP_REC_EXIT.rawValue):
            guard record.count >= MemoryLayout<execsnoop_exit>.size else { return nil }
            let exit = record.loadUnaligned(as: execsnoop_exit.self)
            let bytes = pending.removeValue(forKey: exit.tid) ?? []
            let args = bytes.withUnsafeBytes { KernelString.split($0) }
            return Exec(exit: exit, args: Array(args.prefix(Int(exit.args_count))))
        default:
            return nil
        }
    }
}
