import Glibc

/// Debug files from debuginfod servers (DEBUGINFOD_URLS), through elfutils' client,
/// `debuginfod-find` (Debian's debuginfod package): the tools are static binaries, and Debian
/// ships libdebuginfod only as a shared library (a static binary cannot safely dlopen it and its
/// libcurl). It honours the client's own settings (DEBUGINFOD_CACHE_PATH, _TIMEOUT, ...).
///
/// A lookup is bounded: `timeout` seconds each (killed after), and after two lookups time out
/// no more are made, so a slow or unreachable server delays the report by at most seconds.
final class DebuginfodClient: @unchecked Sendable {
    private let finder: String
    private let timeout: Double
    private var timeouts = 0

    init?(environment: [String: String], timeout: Double = 10) {
        guard let urls = environment["DEBUGINFOD_URLS"], !urls.trimmed.isEmpty,
              let finder = Self.find("debuginfod-find") else { return nil }
        self.finder = finder
        self.timeout = timeout
    }

    /// The path of the debug file (in the client's cache) of the file with build ID `buildID`.
    func debuginfo(buildID: String, report: (String) -> Void) -> String? {
        guard timeouts < 2, buildID.allSatisfy(\.isHexDigit) else { return nil }
        switch ChildOutput.run([finder, "debuginfo", buildID], timeout: timeout, maxBytes: 4096) {
        case .output(let text, status: 0):
            let path = String(text.split(separator: "\n").first ?? "")
            return path.hasPrefix("/") ? path : nil
        case .output(_, let status):
            report("debuginfod: no debug file for build ID \(buildID) (debuginfod-find exited \(status))")
        case .timedOut:
            timeouts += 1
            report("debuginfod: no answer for build ID \(buildID) within \(Int(timeout)) s")
        case .failed(let reason):
            report("debuginfod: \(reason)")
        }
        return nil
    }

    static func find(_ program: String) -> String? {
        let path = getenv("PATH").map { String(cString: $0) } ?? "/usr/bin:/bin"
        return (path.split(separator: ":") + ["/usr/bin"]).map { "\($0)/\(program)" }.first { access($0, X_OK) == 0 }
    }
}
