import CLibbpf
import Glibc

/// Where a uprobe attaches, known only at run time (a database server's binary and function,
/// say): a binary and a symbol or an offset in it, in one process or in all that map it.
public struct UserProbeTarget: Sendable, Equatable, CustomStringConvertible {
    public let binary: String
    /// The function's name (libbpf resolves it in the ELF symbol tables), or nil with `offset`.
    public let symbol: String?
    /// Bytes from the symbol's start (or from the file's start without a symbol).
    public let offset: Int
    /// Only this process (nil: every process that maps the binary).
    public let pid: Int32?

    public init(binary: String, symbol: String?, offset: Int = 0, pid: Int32? = nil) {
        self.binary = binary
        self.symbol = symbol
        self.offset = offset
        self.pid = pid
    }

    public var description: String {
        "\(binary):" + (symbol ?? "") + (offset != 0 || symbol == nil ? "+0x" + String(offset, radix: 16) : "")
            + (pid.map { " (PID \($0))" } ?? "")
    }
}

/// A USDT probe (`provider:name` in the binary's .note.stapsdt), given at run time.
public struct USDTTarget: Sendable, Equatable, CustomStringConvertible {
    public let binary: String
    public let provider: String
    public let name: String
    public let pid: Int32?

    public init(binary: String, provider: String, name: String, pid: Int32? = nil) {
        self.binary = binary
        self.provider = provider
        self.name = name
        self.pid = pid
    }

    public var description: String { "\(binary):\(provider):\(name)" + (pid.map { " (PID \($0))" } ?? "") }
}

/// Attaching programs whose target is given at run time, not by their section name.
enum RuntimeAttach {
    /// nil when the kind's target is fixed by the program's section (libbpf's auto-attach).
    static func link(_ prog: OpaquePointer, _ kind: ProbeKind) -> OpaquePointer?? {
        switch kind {
        case .tracepoint(let category, let name):
            return .some(bpf_program__attach_tracepoint(prog, category, name))
        case .rawTracepoint(let name):
            return .some(bpf_program__attach_raw_tracepoint(prog, name))
        case .uprobe(let target), .uretprobe(let target):
            var retprobe = false
            if case .uretprobe = kind { retprobe = true }
            var opts = bpf_uprobe_opts()
            opts.sz = MemoryLayout<bpf_uprobe_opts>.size
            opts.retprobe = retprobe
            return .some(withOptionalCString(target.symbol) { symbol in
                opts.func_name = symbol
                return bpf_program__attach_uprobe_opts(prog, target.pid ?? -1, target.binary, target.offset, &opts)
            })
        case .usdt(let target):
            return .some(bpf_program__attach_usdt(prog, target.pid ?? -1, target.binary, target.provider, target.name, nil))
        default:
            return nil
        }
    }
}

func withOptionalCString<R>(_ string: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let string else { return body(nil) }
    return string.withCString { body($0) }
}
