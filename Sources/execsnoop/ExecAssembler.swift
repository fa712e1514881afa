import BPFEvents
import LoaderCore

/// One exec, complete: the EXIT record and the arguments that came with it.
struct Exec {
    var exit: execsnoop_exit
    let args: [String]

    var comm: String { KernelString.from(tuple: exit.comm) }
    var pcomm: String { KernelString.from(tuple: exit.pcomm) }
    var moreArgs: Bool { exit.flags & EXECSNOOP_F_MORE_ARGS != 0 }
    var argCut: Bool { exit.flags & EXECSNOOP_F_ARG_CUT != 0 }
}

/// Joins ARGS records (sent at syscall entry, or piece by piece for a long command line) with
/// the EXIT record by the thread id they carry; an EXIT record with EXECSNOOP_F_WHOLE carries
/// its exec's whole command line itself, and the limits (--max-args, --max-arg-size) are
/// applied here, as the kernel side applies them to pieces.
final class ExecAssembler {
    /// More pending execs than the BPF side can track means EXIT records were lost.
    private static let maxPending = 10240

    private var pending: [UInt32: [UInt8]] = [:]
    private let maxArgs: Int
    private let maxArgSize: Int

    init(maxArgs: Int, maxArgSize: Int) {
        self.maxArgs = max(maxArgs, 1)
        self.maxArgSize = max(maxArgSize, 1)
    }

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
            let exitSize = MemoryLayout<execsnoop_exit>.size
            guard record.count >= exitSize else { return nil }
            let exit = record.loadUnaligned(as: execsnoop_exit.self)
            if exit.flags & EXECSNOOP_F_WHOLE != 0 {
                let size = min(Int(exit.args_size), record.count - exitSize)
                return whole(exit, UnsafeRawBufferPointer(rebasing: record[exitSize..<(exitSize + size)]))
            }
            let bytes = pending.removeValue(forKey: exit.tid) ?? []
            let args = bytes.withUnsafeBytes { KernelString.split($0) }
            return Exec(exit: exit, args: Array(args.prefix(Int(exit.args_count))))
        default:
            return nil
        }
    }

    /// The file name, then argv from argv[0] (which the file name stands for, as in BCC). An
    /// argument is cut in bytes, before it is decoded, as the kernel side cuts.
    private func whole(_ exit: execsnoop_exit, _ text: UnsafeRawBufferPointer) -> Exec {
        var exit = exit
        // the file name, argv[0], then at most maxArgs arguments: one more than shown says "more"
        var strings: [Range<Int>] = []
        var start = 0, i = 0
        while i < text.count && strings.count < maxArgs + 2 {
            if text[i] == 0 {
                strings.append(start..<i)
                start = i + 1
            }
            i += 1
        }
        if start < text.count && strings.count < maxArgs + 2 { strings.append(start..<text.count) }
        if strings.count > 1 { strings.remove(at: 1) }
        if strings.count > maxArgs {
            strings.removeLast(strings.count - maxArgs)
            exit.flags |= EXECSNOOP_F_MORE_ARGS
        }
        let args = strings.map { range -> String in
            var range = range
            if range.count > maxArgSize {
                range = range.lowerBound..<(range.lowerBound + maxArgSize)
                exit.flags |= EXECSNOOP_F_ARG_CUT
            }
            return String(decoding: UnsafeRawBufferPointer(rebasing: text[range]), as: UTF8.self)
        }
        exit.args_count = UInt32(args.count)
        return Exec(exit: exit, args: args)
    }
}
