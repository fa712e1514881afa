/// The kernel's exit_code of a task, read as BCC's exitsnoop prints it: "0", "code N", or
/// "signal N (NAME)" with ", core dumped " when there was a core.
public struct ExitStatus: CustomStringConvertible, Sendable {
    let code: UInt32        /// exit(N)'s N
    let signal: UInt32      /// the fatal signal, 0 for none
    let coreDumped: Bool

    init(_ raw: UInt32) {
        code = raw >> 8
        signal = raw & 0x7f
        coreDumped = raw & 0x80 != 0
    }

    public var description: String {
        if signal == 0 && !coreDumped { return code == 0 ? "0" : "code \(code)" }
        var text = signal == 0 ? "" : "signal \(signal) (\(Self.names[Int(signal)] ?? "unknown"))"
        if coreDumped { text += ", core dumped " }
        return text
    }

    /// Python's signal module as BCC reads it (names matching SIG[A-Z]+, "SIG" removed): no
    /// USR1/USR2 (they hold digits), POLL for 29, RTMIN and RTMAX only of the real-time ones.
    static let names: [Int: String] = [
        1: "HUP", 2: "INT", 3: "QUIT", 4: "ILL", 5: "TRAP", 6: "ABRT", 7: "BUS", 8: "FPE", 9: "KILL",
        11: "SEGV", 13: "PIPE", 14: "ALRM", 15: "TERM", 16: "STKFLT", 17: "CHLD", 18: "CONT", 19: "STOP",
        20: "TSTP", 21: "TTIN", 22: "TTOU", 23: "URG", 24: "XCPU", 25: "XFSZ", 26: "VTALRM", 27: "PROF",
        28: "WINCH", 29: "POLL", 30: "PWR", 31: "SYS", 34: "RTMIN", 64: "RTMAX",
    ]
}
