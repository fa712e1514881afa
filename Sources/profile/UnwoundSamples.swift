import BPFEvents
import Glibc
import LoaderCore
import StackUnwind

/// The samples whose user stacks come to user space (--unwind auto and dwarf): each record is
/// unwound with CFI as it arrives (the process must still be there) and counted by its stacks.
///
/// Under auto, a process's first samples are also compared with the kernel's frame-pointer
/// walk of the same stack; after `agreementsNeeded` equal ones in a row, the process goes into
/// the kernel's `fp_processes` and its later samples are counted there, without copies. One
/// difference keeps it on CFI for good.
final class UnwoundSamples {
    /// Where a sample was taken, besides its frames: the process and the kernel's stack. Kept
    /// once, in `contexts`. A distinct sample is its context's index and a node of `paths`,
    /// one 64-bit key in `counts` (16 bytes a sample with its count; a Dictionary of 24-byte
    /// keys took 32). The node's path is the user stack with, when the sample was taken in the
    /// kernel, the address sampled as its innermost frame: a context per kernel address
    /// would cost more than the key it spares.
    struct Context: Hashable {
        let pid: UInt32
        let comm: String
        let cgroupID: UInt64
        let kernelStackID: Int32
        /// The node's innermost frame is the kernel address sampled.
        let kernelIPInPath: Bool
        /// The user stack could not be recorded ("[Missed User Stack]"): the node's path is
        /// the kernel address alone, or the root.
        let userMissed: Bool
    }

    /// A distinct sample's key in `counts`.
    static func key(context: UInt32, node: UInt32) -> UInt64 { UInt64(context) << 32 | UInt64(node) }

    /// A key's context index and node.
    static func split(_ key: UInt64) -> (context: Int, node: UInt32) { (Int(key >> 32), UInt32(truncatingIfNeeded: key)) }

    /// How a process's user stacks were walked, for -v's summary per binary.
    struct Walks {
        var cfi: UInt64 = 0
        var framePointers: UInt64 = 0
        var agreements = 0
        var decided = false
    }

    private var counts = CountTable()
    /// The user stacks of `counts`' keys.
    private var paths = CallPathTree()
    /// The contexts of `counts`' keys, and where each is in that list.
    private var contexts: [Context] = []
    private var contextIndex: [Context: UInt32] = [:]
    private(set) var walks: [UInt32: Walks] = [:]
    private let unwinder: CFIUnwinder
    private let stacks: StackTraces
    private let fpProcesses: BPFMap?
    private let verbose: Bool

    static let agreementsNeeded = 16
    /// Where `stack` starts, after `_pad` (Swift does not import an array of 16,384 bytes).
    static let stackOffset = (MemoryLayout<profile_sample>.offset(of: \profile_sample._pad) ?? 0) + 4
    static let registersOffset = MemoryLayout<profile_sample>.offset(of: \profile_sample.regs) ?? 0

    /// Called with each process the first time one of its samples arrives.
    private let newProcess: (UInt32) -> Void

    /// `fpProcesses`: the kernel's map under --unwind auto, nil under dwarf.
    init(stacks: StackTraces, fpProcesses: BPFMap?, verbose: Bool, newProcess: @escaping (UInt32) -> Void) {
        self.stacks = stacks
        self.newProcess = newProcess
        self.fpProcesses = fpProcesses
        self.verbose = verbose
        unwinder = CFIUnwinder(maxDepth: Int(TOOLS_MAX_STACK_DEPTH)) { line in
            if verbose { Diagnostics.line("profile: \(TerminalText.escaped(line))") }
        }
    }

    /// One ring buffer record: a profile_sample (a shorter one is not counted).
    func add(_ record: UnsafeRawBufferPointer) {
        guard record.count >= Self.stackOffset else { return }
        // the fields before the stack, read where the C layout puts them
        func field<T>(_ path: KeyPath<profile_sample, T>) -> T {
            record.loadUnaligned(fromByteOffset: MemoryLayout<profile_sample>.offset(of: path) ?? 0, as: T.self)
        }
        let header = (pid: field(\.pid), tid: field(\.tid), userStackID: field(\.user_stack_id),
                      kernelStackID: field(\.kernel_stack_id), kernelIP: field(\.kernel_ip), comm: field(\.comm),
                      cgroupID: field(\.cgroup_id))
        let copied = min(Int(field(\.stack_bytes)), record.count - Self.stackOffset)
        var registers = [UInt64](repeating: 0, count: Int(PROFILE_REGS))
        for i in registers.indices {
            registers[i] = record.loadUnaligned(fromByteOffset: Self.registersOffset + i * 8, as: UInt64.self)
        }
        let stack = UnsafeRawBufferPointer(rebasing: record[Self.stackOffset..<(Self.stackOffset + copied)])
        let cfi = registers.withUnsafeBufferPointer {
            unwinder.unwind(pid: header.pid, tid: header.tid, UserContext(registers: $0, stack: stack))
        }
        let framePointers = { (try? self.stacks.frames(header.userStackID)) ?? nil }
        if walks[header.pid] == nil { newProcess(header.pid) }
        var walk = walks[header.pid, default: Walks()]
        var user: [UInt64]? = cfi
        if cfi.count <= 1 {
            // CFI could not get past the first frame (the process gone, code without CFI, a
            // stack the copy does not hold): the kernel's walk, when it has more
            if let fp = framePointers(), fp.count > cfi.count { user = fp }
            else if cfi.isEmpty && StackTraces.isError(header.userStackID) { user = nil }
            walk.framePointers += 1
        } else {
            walk.cfi += 1
            if let fpProcesses, !walk.decided { decide(&walk, cfi: cfi, fp: framePointers(), pid: header.pid, fpProcesses) }
        }
        walks[header.pid] = walk
        // a stack the tree cannot hold (deeper than 255 frames; the unwinder stops at 127) shows as missed
        var frames = user ?? []
        if header.kernelIP != 0 { frames.insert(header.kernelIP, at: 0) }
        let node = paths.node(innermostFirst: frames)
        let context = Context(pid: header.pid, comm: KernelString.from(tuple: header.comm), cgroupID: header.cgroupID,
                              kernelStackID: header.kernelStackID, kernelIPInPath: node != nil && header.kernelIP != 0,
                              userMissed: user == nil || node == nil)
        let index: UInt32
        if let known = contextIndex[context] {
            index = known
        } else {
            guard contexts.count < Int(UInt32.max) else { return }
            index = UInt32(truncatingIfNeeded: contexts.count)
            contexts.append(context)
            contextIndex[context] = index
        }
        counts.add(Self.key(context: index, node: node ?? CallPathTree.root))
    }

    /// Under auto: whether frame pointers give this process the same stacks as CFI.
    private func decide(_ walk: inout Walks, cfi: [UInt64], fp: [UInt64]?, pid: UInt32, _ fpProcesses: BPFMap) {
        guard fp == cfi else {
            walk.decided = true
            return
        }
        walk.agreements += 1
        guard walk.agreements >= Self.agreementsNeeded else { return }
        walk.decided = true
        do {
            try fpProcesses.update(pid, UInt8(1))
            if verbose {
                Diagnostics.line("profile: PID \(pid) (\(TerminalText.escaped(unwinder.executable(pid: pid) ?? "?"))): "
                                 + "frame pointers gave CFI's stacks \(Self.agreementsNeeded) times; walking them in the kernel from now on")
            }
        } catch {
            // the table is full: the process stays on CFI, which is right, only dearer
        }
    }

    /// The counts and their stacks, handed over when sampling is over: this then holds none,
    /// so that the table and the tree's index are freed as soon as the report has read them.
    func takeCounts() -> (counts: CountTable, contexts: [Context], paths: CallPaths) {
        defer { (counts, paths, contexts, contextIndex) = (CountTable(), CallPathTree(), [], [:]) }
        return (counts, contexts, paths.frozen())
    }

    /// No more records come: the unwinder's sessions are freed before the report.
    func samplingEnded() {
        unwinder.endSessions()
    }

    /// The executable of a process unwound (for -v's summary).
    func executable(pid: UInt32) -> String? { unwinder.executable(pid: pid) }
}
