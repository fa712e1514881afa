import Glibc

/// tracefs, where classic tracepoints are found. Attaching a tracepoint fails without it.
public enum Tracefs {
    public static let path = "/sys/kernel/tracing"

    /// Mounts tracefs if it is not mounted (it is not on minimal systems and in fresh VMs).
    public static func ensureMounted() throws(BPFError) {
        if pathExists("\(path)/events") { return }
        if errno == EACCES {
            throw BPFError(.preflight, "cannot read tracefs at \(path) (\(String(cString: strerror(EACCES)))): "
                           + "without root, the tool needs CAP_DAC_READ_SEARCH besides CAP_BPF and CAP_PERFMON")
        }
        if mount("nodev", path, "tracefs", 0, nil) == 0 { return }
        let err = errno
        // Older systems expose it under debugfs only.
        if pathExists("/sys/kernel/debug/tracing/events") { return }
        throw BPFError(.preflight,
                       "tracefs is not mounted at \(path) and mounting it failed (\(String(cString: strerror(err)))); run: mount -t tracefs nodev \(path)")
    }
}

/// Start-up checks that turn the usual set-up problems into one clear line each.
public enum Preflight {
    static let vmlinuxBTF = "/sys/kernel/btf/vmlinux"

    /// `tracefs`: whether the tool's probes need it (tracepoints; a perf-event sampler does not).
    public static func run(tool: String, tracefs: Bool = true) throws(BPFError) {
        try checkPrivileges(tool: tool)
        if !pathReadable(vmlinuxBTF) {
            throw BPFError(.preflight,
                           "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); it needs CONFIG_DEBUG_INFO_BTF=y")
        }
        if tracefs { try Tracefs.ensureMounted() }
    }

    /// Root, or CAP_BPF + CAP_PERFMON (+ CAP_SYS_ADMIN for tracefs) in the effective set.
    static func checkPrivileges(tool: String) throws(BPFError) {
        if geteuid() == 0 { return }
        let capEff = ProcStatus("/proc/self/status")?["CapEff"].flatMap { UInt64($0, radix: 16) } ?? 0
        let capBPF: UInt64 = 1 << 39, capPerfmon: UInt64 = 1 << 38, capSysAdmin: UInt64 = 1 << 21
        if capEff & capSysAdmin != 0 || (capEff & capBPF != 0 && capEff & capPerfmon != 0) { return }
        throw BPFError(.preflight, "must be run as root (or with CAP_BPF and CAP_PERFMON)")
    }
}
