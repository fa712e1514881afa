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

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    /// An error from a libbpf call that returned a negative errno (or set errno).
    public static func libbpf(_ code: Code, _ what: String, errno err: Int32) -> BPFError {
        let e = err < 0 ? -err : err
        var message = "\(what): \(String(cString: strerror(e)))"
        if e == EPERM || e == EACCES {
            message += " (need root, or CAP_BPF and CAP_PERFMON)"
        }
        return BPFError(code, message, detail: LibbpfLog.shared.recentWarnings())
    }

    public var description: String { message }
}
