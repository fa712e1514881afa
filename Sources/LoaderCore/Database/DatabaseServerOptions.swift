import ArgumentParser
import BPFEvents

/// The options dbslower and dbstat share (BCC's): which engine, which processes, which binary.
public struct DatabaseServerOptions: ParsableArguments, Sendable {
    @Argument(help: ArgumentHelp("the database engine to use", valueName: "{mysql,postgres}"))
    public var db: DatabaseEngine

    @Option(name: [.customShort("p"), .customLong("pid")], parsing: .upToNextOption,
            help: ArgumentHelp("the pid(s) to trace", valueName: "PID"))
    public var pids: [Int32] = []

    @Option(name: [.customShort("x"), .customLong("exe")], help: ArgumentHelp("path to binary", valueName: "PATH"))
    public var path: String?

    public init() {}

    public func validate() throws {
        for pid in pids where pid <= 0 { throw ValidationError("argument -p/--pid: invalid PID \(pid)") }
    }

    /// The binaries to probe and the processes to keep; -v says how each binary is probed.
    public func targets(tool: String, verbose: Bool) throws(BPFError) -> DatabaseTargets {
        let targets = try DatabaseTargets.find(engine: db, pids: pids, binary: path)
        if verbose { targets.description.forEach { Diagnostics.line("\(tool): \($0)") } }
        return targets
    }

    /// The kernel's part of -m (whole milliseconds) and -p.
    public func config(thresholdMs: Int) -> dbquery_cfg {
        DatabaseTargets.config(thresholdMs: thresholdMs, filtering: !pids.isEmpty)
    }
}
