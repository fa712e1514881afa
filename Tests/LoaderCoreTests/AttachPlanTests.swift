import Glibc
import Testing
@testable import LoaderCore

/// A kernel that supports exactly the kinds it is given.
struct FakeKernel: KernelFeatures {
    let supported: (ProbeKind) -> Bool
    func unsupportedReason(_ kind: ProbeKind) -> String? { supported(kind) ? nil : "not here" }
}

@Suite struct AttachPlanTests {
    let plan: AttachPlan = [
        .oneOf("rq_complete", [
            ProbeCandidate(.btfTracepoint("block_rq_complete"), program: "btf"),
            ProbeCandidate(.rawTracepoint("block_rq_complete"), program: "raw"),
            ProbeCandidate(.tracepoint(category: "block", name: "block_rq_complete"), program: "tp"),
        ]),
        .optional("extra", [ProbeCandidate(.kprobe("blk_account_io_start"), program: "kp")]),
    ]

    @Test func choosesTheFirstSupportedCandidate() throws {
        let kernel = FakeKernel { if case .btfTracepoint = $0 { false } else { true } }
        let result = try plan.resolve(on: kernel, tool: "t")
        #expect(result[0].chosen?.program == "raw")
        #expect(result[0].rejected.map(\.0.program) == ["btf"])
        #expect(result[1].chosen?.program == "kp")
    }

    @Test func optionalChainsAreSkipped() throws {
        let kernel = FakeKernel { if case .tracepoint = $0 { true } else { false } }
        let result = try plan.resolve(on: kernel, tool: "t")
        #expect(result[0].chosen?.program == "tp")
        #expect(result[1].chosen == nil)
        #expect(result[1].summary.contains("skipped"))
    }

    @Test func aRequiredChainWithNoCandidateNamesEveryOneTried() {
        let kernel = FakeKernel { _ in false }
        #expect {
            try plan.resolve(on: kernel, tool: "t")
        } throws: { error in
            let message = (error as? BPFError)?.message ?? ""
            return message.contains("no usable attach point for rq_complete")
                && message.contains("tp_btf block_rq_complete (not here)")
                && message.contains("raw_tp block_rq_complete (not here)")
                && message.contains("tracepoint block:block_rq_complete (not here)")
        }
    }

    @Test func anExhaustedChainSaysWhyItsFeatureNeedsIt() {
        let withHint: AttachPlan = [.oneOf("loss probes", [ProbeCandidate(.fentry("f"), program: "fe")],
                                           unavailable: "can't use -l: it needs fentry")]
        #expect {
            try withHint.resolve(on: FakeKernel { _ in false }, tool: "t")
        } throws: { error in
            (error as? BPFError)?.message == "can't use -l: it needs fentry: no usable attach point for loss probes on this kernel; "
                + "tried fentry f (not here)"
        }
    }

    @Test func aProgramThatFailedIsPassedOverWithItsReason() throws {
        let kernel = FakeKernel { _ in true }
        let result = try plan.resolve(on: kernel, tool: "t", failed: ["btf": "failed to load: Permission denied"])
        #expect(result[0].chosen?.program == "raw")
        #expect(result[0].summary.contains("tp_btf block_rq_complete: failed to load: Permission denied"))
        #expect {
            try plan.resolve(on: kernel, tool: "t", failed: ["btf": "x", "raw": "y", "tp": "z"])
        } throws: { ($0 as? BPFError)?.message.contains("tracepoint block:block_rq_complete (z)") == true }
    }

    @Test func libbpfsLogNamesTheFailedProgram() {
        let log = "libbpf: prog 'fentry_v4': BPF program load failed: Operation not permitted\n"
            + "libbpf: prog 'fentry_v4': -- BEGIN PROG LOAD LOG --\n...\n"
            + "libbpf: prog 'fentry_v4': failed to load: -1\nlibbpf: failed to load object 'tcpconnect'\n"
        #expect(BPFError.failedProgram(in: log) == "fentry_v4")
        #expect(BPFError.failedProgram(in: "libbpf: map 'events': failed to create: -22\n") == nil)
    }

    @Test func sectionNamesMatchLibbpfConventions() {
        #expect(ProbeKind.tracepoint(category: "syscalls", name: "sys_enter_execve").sectionName == "tracepoint/syscalls/sys_enter_execve")
        #expect(ProbeKind.ksyscall("execve").sectionName == "ksyscall/execve")
        #expect(ProbeKind.btfTracepoint("x").sectionName == "tp_btf/x")
        #expect(ProbeKind.fentry("tcp_v4_connect").sectionName == "fentry/tcp_v4_connect")
    }

    @Test func runningKernelKnowsItsTracepoints() throws {
        try Tracefs.ensureMountedIfRoot()
        let kernel = RunningKernel()
        #expect(kernel.unsupportedReason(.tracepoint(category: "no_such_category", name: "nope")) != nil)
        #expect(kernel.unsupportedReason(.fentry("no_such_function_xyz")) != nil)
    }

    /// A syscall traced at its return only where the return program can read the arguments
    /// (bpf_task_pt_regs); the entry chain is taken only when the return program chosen cannot.
    @Test func entryChainOnlyWhereTheReturnCannotReadArguments() throws {
        struct Kernel: KernelFeatures {
            let hasRegs: Bool
            func unsupportedReason(_ kind: ProbeKind) -> String? { nil }
            func unmetReason(_ requirement: KernelRequirement, for kind: ProbeKind) -> String? {
                requirement == .taskRegsHelper && !hasRegs ? "no regs" : nil
            }
        }
        let plan = ProbeChain.syscall("openat", argumentsAtReturn: true)
        let new = try plan.resolve(on: Kernel(hasRegs: true), tool: "t")
        #expect(new.map { $0.chosen?.program } == [nil, "tp_exit_openat_regs"])
        let old = try plan.resolve(on: Kernel(hasRegs: false), tool: "t")
        #expect(old.map { $0.chosen?.program } == ["tp_enter_openat", "tp_exit_openat"])
        // the return program that reads the registers failed to load: the entry program is back
        let failed = try plan.resolve(on: Kernel(hasRegs: true), tool: "t", failed: ["tp_exit_openat_regs": "refused"])
        #expect(failed.map { $0.chosen?.program } == ["tp_enter_openat", "tp_exit_openat"])
    }
}

extension Tracefs {
    static func ensureMountedIfRoot() throws {
        if geteuid() == 0 { try ensureMounted() }
    }
}
