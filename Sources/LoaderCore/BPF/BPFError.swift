import Glibc

/// A failure of the BPF side or of the system around it, worded for the operator: what failed,
/// why, and what to do about it. Tools print `description` on one line and exit 1.
public struct BPFError: Error, CustomStringConvertible, Sendable {
    public enum Code: Sendable, Equatable {
        case open, configure, load, attach, noAttachPoint, map, ringBuffer, preflight, invalidArgument
    }

    public let code: Code
    public let message: String
    /// The kernel's or libbpf's own explanation (the verifier log, say), shown under -v.
    public let detail: String?
    /// The BPF program that failed to load or attach, when it is known: the attach plan can
    /// then fall back to the next candidate of its chain.
    public let program: String?
    /// The errno of the failed call, when there was one (ENOMEM, say, for a map too large).
    public let errorNumber: Int32?

    public init(_ code: Code, _ message: String, detail: String? = nil, program: String? = nil, errorNumber: Int32? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
        self.program = program
        self.errorNumber = errorNumber
    }

    /// An error from a libbpf call that returned a negative errno (or set errno).
    public static func libbpf(_ code: Code, _ what: String, errno err: Int32, program: String? = nil) -> BPFError {
        let e = err < 0 ? -err : err
        var message = "\(what): \(String(cString: strerror(e)))"
        if (e == EPERM || e == EACCES) && geteuid() != 0 {
            message += " (need root, or CAP_BPF and CAP_PERFMON)"
        }
        let detail = LibbpfLog.shared.recentWarnings()
        return BPFError(code, message, detail: detail, program: program ?? detail.flatMap(failedProgram), errorNumber: e)
    }

    /// libbpf names the program the kernel refused: "prog 'NAME': failed to load: -13".
    static func failedProgram(in log: String) -> String? {
        guard let marker = log.firstRange(of: "': failed to load") else { return nil }
        let before = log[..<marker.lowerBound]
        guard let open = before.lastIndex(of: "'") else { return nil }
        return String(before[before.index(after: open)...])
    }

    public var description: String { message }
}
