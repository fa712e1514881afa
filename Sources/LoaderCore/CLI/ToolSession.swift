import CLibbpf

/// Everything between parsed options and the first event, the same for every tool: libbpf
/// logging, start-up checks, signals, open, read-only config, map sizes, probe choice, load,
/// attach. Returns the attached object; dropping it detaches everything.
public enum ToolSession {
    public static func start<Config: BitwiseCopyable>(
        tool: String,
        object: EmbeddedObject,
        plan: AttachPlan,
        config: Config,
        common: CommonOptions,
        maxEntries: [(map: String, entries: UInt32)] = [],
        kernel: some KernelFeatures = RunningKernel()
    ) throws(BPFError) -> LoadedBPF {
        LibbpfLog.shared.install(verbose: common.verbose)
        try Preflight.run(tool: tool)
        Signals.install()
        Clock.loadTimeZone()
        var obj = try BPFObject(object)
        try obj.configure(config)
        for (map, entries) in maxEntries {
            try obj.setMaxEntries(map, entries)
        }
        try obj.choose(plan, kernel: kernel)
        if common.verbose {
            for resolution in obj.resolutions { Diagnostics.line("\(tool): \(resolution.summary)") }
        }
        let loaded = try obj.load()
        try loaded.attach()
        return loaded
    }
}
