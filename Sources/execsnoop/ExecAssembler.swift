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
    private let onExec: (Exec) -> Void

    init(onExec: @escaping (Exec) -> Void) {
        self.onExec = onExec
    }

    func consume(_ record: UnsafeRawBufferPointer) {
        guard record.count >= 4 else { return }
        switch record.loadUnaligned(as: UInt32.self) {
        case UInt32(EXECSNOOP_REC_ARGS.rawValue):
            let headerSize = MemoryLayout<execsnoop_args_hdr>.size
            guard record.count >= headerSize else { return }
            let header = record.loadUnaligned(as: execsnoop_args_hdr.self)
            let size = min(Int(header.size), record.count - headerSize)
            if pending.count >= Self.maxPending && pending[header.tid] == nil { pending.removeAll() }
            if header.flags & EXECSNOOP_ARGS_F_RESTART != 0 { pending[header.tid] = [] }
            pending[header.tid, default: []].append(contentsOf: record[headerSize..<(headerSize + size)])
        case UInt32(EXECSNOOP_REC_EXIT.rawValue):
            guard record.count >= MemoryLayout<execsnoop_exit>.size else { return }
            let exit = record.loadUnaligned(as: execsnoop_exit.self)
            let bytes = pending.removeValue(forKey: exit.tid) ?? []
            let args = bytes.withUnsafeBytes { KernelString.split($0) }
            onExec(Exec(exit: exit, args: Array(args.prefix(Int(exit.args_count)))))
        default:
            break
        }
    }
}
