import CLibbpf

/// errno values by name, as Python's `errno.errorcode` spells them (BCC's tools print and
/// parse them through it), from the C library's own table (strerrorname_np).
public enum ErrnoNames {
    /// Where glibc and Python name a shared number differently, Python's name: it is what
    /// BCC prints (its errorcode keeps the alias defined last).
    static let pythonAliases: [Int32: String] = [35: "EDEADLOCK", 95: "ENOTSUP"]
    /// Other names the C library accepts for a number (for parsing).
    static let otherNames: [String: Int32] = ["EWOULDBLOCK": 11, "EDEADLK": 35, "EOPNOTSUPP": 95]

    /// The name of errno `value` ("EPERM"), or nil for a number without one.
    public static func name(_ value: Int32) -> String? {
        if let alias = pythonAliases[value] { return alias }
        guard value > 0, let name = strerrorname_np(value) else { return nil }
        return String(cString: name)
    }

    /// The number of errno `name` ("EPERM", "eperm"), or nil.
    public static func value(_ name: String) -> Int32? {
        let upper = name.uppercased()
        if let value = otherNames[upper] { return value }
        return byName[upper]
    }

    private static let byName: [String: Int32] = {
        var table: [String: Int32] = [:]
        // errno values are below 4096 (the kernel's MAX_ERRNO); glibc names those below 200
        for value in Int32(1)..<200 { if let name = name(value) { table[name] = value } }
        return table
    }()

    /// BCC's decode_errno: "-EPERM" for a negative errno return, else the number as is.
    public static func returnValue(_ ret: Int64) -> String {
        if ret < 0, ret >= -4095, let name = name(Int32(-ret)) { return "-" + name }
        return String(ret)
    }
}

/// Signal names ("SIGTERM"), from the C library's table (sigabbrev_np).
public enum SignalNames {
    /// "SIGTERM" for 15; the number itself for one without a name (0 included).
    public static func name(_ value: Int32) -> String {
        guard value > 0, let abbreviation = sigabbrev_np(value) else { return String(value) }
        return "SIG" + String(cString: abbreviation)
    }
}
