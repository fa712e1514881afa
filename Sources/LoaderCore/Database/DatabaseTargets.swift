import BPFEvents
import Glibc

/// Which server binaries to probe and which processes to keep, from -p, -x or what runs here.
///
/// Probes attach to binaries (uprobes are per file), in every process that runs them, so that a
/// server started after the tool, or a new PostgreSQL backend, is traced too; -p then keeps the
/// given processes and their children in the kernel (BCC attaches to the given PIDs only, and so
/// misses PostgreSQL's backends forked later).
public struct DatabaseTargets: Sendable {
    /// One binary and how its queries are caught.
    public struct Server: Sendable, Equatable {
        /// What the probes attach to: the path given, or /proc/PID/exe (the binary of a process
        /// in another mount namespace, a container's, has no path here).
        public let attachPath: String
        /// The path as the process or the user named it, for messages.
        public let shownPath: String
        public let probes: QueryProbes
    }

    public let servers: [Server]
    /// The server processes: -p's, or those found running (BCC's banner lists them).
    public let pids: [Int32]
    /// -p's processes, kept in the kernel; empty when every process of the binaries counts.
    public let filterPIDs: [UInt32]
    /// What -v says of the binaries passed over.
    public let notes: [String]

    /// -p given: those processes' binaries, else -x's, else the running servers' and the
    /// installed ones.
    public static func find(engine: DatabaseEngine, pids given: [Int32], binary: String?) throws(BPFError) -> DatabaseTargets {
        var candidates: [(attach: String, shown: String)] = []
        var pids = given
        if let binary {
            candidates.append((binary, binary))
        }
        if !given.isEmpty {
            for pid in given {
                guard pid > 0, let shown = readLink("/proc/\(pid)/exe") else {
                    throw BPFError(.invalidArgument, "no process \(pid) whose binary can be read (-p)")
                }
                if binary == nil { candidates.append(("/proc/\(pid)/exe", shown)) }
            }
        } else if binary == nil {
            let running = runningProcesses(named: engine.executableNames)
            pids = running.map(\.pid)
            candidates = running.map { ("/proc/\($0.pid)/exe", $0.exe) }
                + engine.installedPaths.filter { pathExists($0) }.map { ($0, $0) }
        }

        var servers: [Server] = []
        var notes: [String] = []
        var seen = Set<FileIdentity>()
        for candidate in candidates {
            guard let identity = FileIdentity(candidate.attach) else {
                if binary != nil { throw BPFError(.invalidArgument, "\(candidate.shown): \(String(cString: strerror(errno))) (-x)") }
                continue
            }
            guard seen.insert(identity).inserted else { continue }
            let probes: QueryProbes?
            do {
                probes = try Self.probes(in: candidate.attach, engine: engine)
            } catch {
                notes.append("\(candidate.shown): \(error.description)")
                continue
            }
            if let probes {
                servers.append(Server(attachPath: candidate.attach, shownPath: candidate.shown, probes: probes))
            } else {
                notes.append("\(candidate.shown): no \(engine.usdtProvider):query__start USDT probe"
                             + (engine == .mysql ? " and no dispatch_command function" : " (PostgreSQL built without --enable-dtrace)"))
            }
        }
        guard !servers.isEmpty else {
            let why = notes.isEmpty ? "no \(engine.rawValue) server is running, and none is installed where distributions put it; "
                + "give -x PATH or -p PID" : notes.joined(separator: "; ")
            throw BPFError(.invalidArgument, why)
        }
        return DatabaseTargets(servers: servers, pids: pids, filterPIDs: given.map { UInt32(clamping: $0) }, notes: notes)
    }

    /// USDT probes where the binary has them, else (MySQL) dispatch_command(), else nothing.
    /// The symbol tables are read only when there are no USDT probes.
    static func probes(in path: String, engine: DatabaseEngine) throws(UntrustedFile.Refusal) -> QueryProbes? {
        let provider = engine.usdtProvider
        let notes = try UserBinary(path: path, functions: false)
        if notes.hasUSDT(provider: provider, name: "query__start") && notes.hasUSDT(provider: provider, name: "query__done") {
            return .usdt(provider: provider)
        }
        guard engine == .mysql, let symbol = try UserBinary(path: path).function(where: DatabaseEngine.isDispatchCommand) else { return nil }
        return .dispatchCommand(symbol: symbol, comData: symbol.contains("COM_DATA"))
    }

    /// Two chains per binary, where its queries start and where they end, under the roles of
    /// the declared plan (each chain's probe names its binary).
    public var plan: AttachPlan {
        servers.flatMap { server in
            [ProbeChain.oneOf("query start", [server.probes.start(in: server.attachPath)]),
             ProbeChain.oneOf("query end", [server.probes.end(in: server.attachPath)])]
        }
    }

    /// BCC's banner: the processes when there are some, else the binaries ("application").
    public func banner(thresholdMs: Int) -> String {
        let what = pids.isEmpty ? "application " + servers.map(\.shownPath).joined(separator: ", ")
                                : "pids " + pids.map(String.init).joined(separator: ", ")
        return "Tracing database queries for \(what) slower than \(thresholdMs) ms..."
    }

    /// What -v prints: how each binary is probed, and those passed over.
    public var description: [String] {
        servers.map { "\($0.shownPath): \($0.probes)" } + notes.map { "passed over \($0)" }
    }

    /// Processes whose executable's file name is one of `names` (pidof's test), in PID order.
    static func runningProcesses(named names: Set<String>) -> [(pid: Int32, exe: String)] {
        guard let dir = opendir("/proc") else { return [] }
        defer { closedir(dir) }
        var found: [(pid: Int32, exe: String)] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard let pid = Int32(name), let exe = readLink("/proc/\(pid)/exe") else { continue }
            // a binary replaced on disk (an upgrade) reads "PATH (deleted)"
            let path = exe.hasSuffix(" (deleted)") ? String(exe.dropLast(" (deleted)".count)) : exe
            if names.contains(String(path.split(separator: "/").last ?? "")) { found.append((pid, path)) }
        }
        return found.sorted { $0.pid < $1.pid }
    }
}

/// A file's device and inode: one binary reached by several paths is probed once.
struct FileIdentity: Hashable {
    let device: UInt64
    let inode: UInt64

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}

extension DatabaseTargets {
    /// The kernel's part of -m and -p. BCC takes -m in whole milliseconds and traces every
    /// query when it is 0 or less; a huge one saturates instead of overflowing.
    public static func config(thresholdMs: Int, filtering: Bool) -> dbquery_cfg {
        var cfg = dbquery_cfg()
        let (ns, overflow) = UInt64(max(thresholdMs, 0)).multipliedReportingOverflow(by: 1_000_000)
        cfg.threshold_ns = overflow ? UInt64.max : ns
        cfg.filter_pids = filtering ? 1 : 0
        return cfg
    }
}
