/// How the queries of one server binary are caught, decided from the binary itself.
public enum QueryProbes: Sendable, Equatable, CustomStringConvertible {
    /// Its query__start and query__done USDT probes (PostgreSQL; MySQL 5.x built with DTrace).
    case usdt(provider: String)
    /// uprobes on dispatch_command()'s entry and return: `symbol` takes (command, THD *, packet,
    /// length) as MariaDB and MySQL up to 5.6, or (THD *, COM_DATA *, command) as MySQL 5.7 and
    /// 8.0 (a mangled name mentioning COM_DATA; BCC's MYSQL57 mode).
    case dispatchCommand(symbol: String, comData: Bool)

    public var description: String {
        switch self {
        case .usdt(let provider): "USDT probes \(provider):query__start and \(provider):query__done"
        case .dispatchCommand(let symbol, let comData):
            "uprobes on \(symbol) (no USDT probes; arguments as in \(comData ? "MySQL 5.7 and 8.0" : "MariaDB and MySQL 5.6"))"
        }
    }

    /// The probe where a query starts, and its program (the same names in dbslower and dbstat).
    func start(in binary: String) -> ProbeCandidate {
        switch self {
        case .usdt(let provider):
            ProbeCandidate(.usdt(USDTTarget(binary: binary, provider: provider, name: "query__start")), program: "usdt_query_start")
        case .dispatchCommand(let symbol, let comData):
            ProbeCandidate(.uprobe(UserProbeTarget(binary: binary, symbol: symbol)), program: comData ? "dispatch_start_57" : "dispatch_start_56")
        }
    }

    /// The probe where a query ends, and its program.
    func end(in binary: String) -> ProbeCandidate {
        switch self {
        case .usdt(let provider):
            ProbeCandidate(.usdt(USDTTarget(binary: binary, provider: provider, name: "query__done")), program: "usdt_query_done")
        case .dispatchCommand(let symbol, _):
            ProbeCandidate(.uretprobe(UserProbeTarget(binary: binary, symbol: symbol)), program: "dispatch_done")
        }
    }

    /// The plan a tool declares for an engine before any binary is known (the manifest's): the
    /// ways the engine's binaries may offer, in the order they are preferred. At run time each
    /// binary gets the one way it has (see DatabaseTargets).
    public static func declaredPlan(_ engine: DatabaseEngine) -> AttachPlan {
        let binary = "<\(engine.rawValue) server>"
        var ways = [QueryProbes.usdt(provider: engine.usdtProvider)]
        if engine == .mysql {
            ways += [.dispatchCommand(symbol: "*dispatch_command*", comData: false), .dispatchCommand(symbol: "*dispatch_command*", comData: true)]
        }
        var ends: [ProbeCandidate] = []
        for candidate in ways.map({ $0.end(in: binary) }) where !ends.contains(candidate) { ends.append(candidate) }
        return [.oneOf("query start", ways.map { $0.start(in: binary) }), .oneOf("query end", ends)]
    }
}
