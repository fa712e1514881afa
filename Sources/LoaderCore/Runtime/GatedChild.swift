import CLibbpf
import Glibc

/// A command started by a tool to trace it alone (opensnoop --exec): the process exists, and
/// its PID is known, before the BPF programs are configured and attached; it runs its command
/// only when `release()` is called, so none of its events happen before the probes are there.
/// Dropping it unreleased makes the child exit without running anything.
public final class GatedChild {
    public let pid: Int32
    private var gate: Int32
    private var errors: Int32
    private var exited = false

    public init(_ command: [String]) throws(BPFError) {
        var cStrings = command.map { strdup($0) }
        cStrings.append(nil)
        defer { for p in cStrings { free(p) } }
        var gate: Int32 = -1, errors: Int32 = -1
        let result = cStrings.withUnsafeMutableBufferPointer { clibbpf_spawn_gated($0.baseAddress, &gate, &errors) }
        guard result > 0 else {
            throw BPFError(.invalidArgument, "cannot start \(command.first ?? ""): \(String(cString: strerror(-result)))")
        }
        pid = result
        self.gate = gate
        self.errors = errors
    }

    /// Lets the child run its command; fails if the command could not be executed.
    public func release(_ name: String) throws(BPFError) {
        var go: UInt8 = 1
        _ = write(gate, &go, 1)
        close(gate)
        gate = -1
        var code: Int32 = 0
        var n: Int
        repeat { n = read(errors, &code, MemoryLayout<Int32>.size) } while n < 0 && errno == EINTR
        close(errors)
        errors = -1
        if n == MemoryLayout<Int32>.size {
            reap()
            throw BPFError(.invalidArgument, "cannot run \(name): \(String(cString: strerror(code)))")
        }
    }

    /// Whether the command has ended (it is reaped then).
    public var hasExited: Bool {
        if !exited { reap(nohang: true) }
        return exited
    }

    private func reap(nohang: Bool = false) {
        var status: Int32 = 0
        if waitpid(pid, &status, nohang ? WNOHANG : 0) == pid { exited = true }
    }

    deinit {
        if gate >= 0 { close(gate) }
        if errors >= 0 { close(errors) }
    }
}
