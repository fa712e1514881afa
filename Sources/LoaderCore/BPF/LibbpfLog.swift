import CLibbpf
import Synchronization

/// Collects libbpf's messages. They are printed to stderr only with -v (libbpf is chatty and
/// its "raise ulimit -l" hint is wrong on memcg-accounted kernels); the recent warnings are
/// kept so an error can show the verifier's reason when -v was not given.
public final class LibbpfLog: Sendable {
    public static let shared = LibbpfLog()

    private struct State {
        var verbose = false
        var recent: [String] = []
    }
    private let state = Mutex(State())

    public var isVerbose: Bool { state.withLock { $0.verbose } }

    public func install(verbose: Bool) {
        state.withLock { $0.verbose = verbose }
        clibbpf_set_log_sink { level, message in
            guard let message else { return }
            LibbpfLog.shared.record(level: level, String(cString: message))
        }
    }

    private func record(level: Int32, _ message: String) {
        let print = state.withLock { state -> Bool in
            if level <= Int32(LIBBPF_INFO.rawValue) {
                state.recent.append(message)
                if state.recent.count > 400 { state.recent.removeFirst(state.recent.count - 400) }
            }
            return state.verbose && level <= Int32(LIBBPF_INFO.rawValue)
        }
        if print { Diagnostics.write(message.hasSuffix("\n") ? message : message + "\n") }
    }

    /// Warnings since the last call, or nil if there were none.
    public func recentWarnings() -> String? {
        state.withLock { state in
            defer { state.recent.removeAll() }
            return state.recent.isEmpty ? nil : state.recent.joined()
        }
    }
}
