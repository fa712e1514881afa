import ArgumentParser
import BPFEvents
import Glibc

/// Options every tool has, beyond BCC's own.
public struct CommonOptions: ParsableArguments, Sendable {
    @Flag(name: .customLong("json"), help: "Print one JSON object per line instead of columns.")
    public var json = false

    @Option(name: .customLong("cgroup"), help: ArgumentHelp("Trace only tasks in this cgroup v2 directory or below it.", valueName: "PATH"))
    public var cgroup: String?

    @Flag(name: [.customShort("v"), .customLong("verbose")], help: "Print the chosen probes and libbpf's messages on stderr.")
    public var verbose = false

    /// Handled by ToolMain before parsing (as argparse's version action: printed whatever else
    /// is given); declared here so that help, the manifest and the man pages list it.
    @Flag(name: .customLong("version"), help: "Print the version, and the git commit the binary was built from, and exit.")
    public var version = false

    public init() {}

    /// The filters the BPF side of every tool applies, from these options and the tool's own
    /// process (-p), thread (-t) and user (-u) options where it has them.
    public func bpfConfig(pid: UInt32? = nil, tid: UInt32? = nil, uid: UInt32? = nil) throws(BPFError) -> tools_common_cfg {
        var cfg = tools_common_cfg()
        cfg.self_tgid = UInt32(bitPattern: getpid())
        cfg.targ_tgid = pid ?? 0
        cfg.targ_tid = tid ?? 0
        cfg.targ_uid = uid ?? TOOLS_INVALID_UID
        if let cgroup {
            let filter = try CgroupFilter(path: cgroup)
            cfg.filter_cgroup = 1
            cfg.cgroup_id = filter.id
            cfg.cgroup_level = filter.level
        }
        return cfg
    }
}

extension CommonOptions {
    /// A line that tells a person the tool is ready (BCC's "Tracing ..."): on stdout, or on
    /// stderr with --json, where stdout holds only JSON.
    public func announce(_ line: String) {
        if json { Diagnostics.line(line) } else { OutputSink.stdout.writeLine(line) }
    }
}
