import ArgumentParser

/// A tool as a value: its options (the ParsableCommand it is), its BPF object, its probe plans
/// and the shape of its output. The registry lists these types; the manifest (tools.json), the
/// tests, the benchmark and the kernel matrix are all driven from them, so a tool is described
/// once, in its own folder.
public protocol BPFTool: ParsableCommand {
    /// The read-only config struct (from the tool's shared C header), copied byte for byte
    /// into the object after BTF says the sizes agree. Not constrained to BitwiseCopyable:
    /// Swift 6.3 cannot find that (inferred) conformance of a C struct when another module
    /// (the registry) uses the tool's conformance.
    associatedtype Config

    /// The object the build plugin compiled from bpf-src/<name>.bpf.c.
    static var object: EmbeddedObject { get }
    /// Options that change the probe plan, each spelled as a user would (`-F`, or words split at
    /// spaces), with the plan that option gives; the plan without options is `plan` of
    /// `defaultArguments`.
    static var planOptions: [String] { get }
    /// The least a command line must say (dbslower's database engine); empty for most tools.
    static var defaultArguments: [String] { get }
    /// The probes these options need, in order of preference per role.
    var plan: AttachPlan { get }
    /// What the tool prints: columns (streaming tools) or reports (summary tools).
    static var output: ToolOutput { get }
    /// The options every tool has (--json, --cgroup, -v).
    var common: CommonOptions { get }
    /// The config these options give the BPF programs (their `const volatile cfg`).
    func bpfConfig() throws -> Config
}

extension BPFTool {
    public static var planOptions: [String] { [] }
    public static var defaultArguments: [String] { [] }

    /// The tool's name, as its binary and man page are called.
    public static var toolName: String { configuration.commandName ?? "\(Self.self)".lowercased() }

    /// The plan for each option in `planOptions` ("" = no option), parsed as the user would give it.
    public static func plans() throws -> [(option: String, plan: AttachPlan)] {
        try ([""] + planOptions).map { option in
            (option, try parse(option.isEmpty ? defaultArguments : option.split(separator: " ").map(String.init)).plan)
        }
    }
}

/// The shape of a tool's output, for the manifest and the tests.
public enum ToolOutput: Sendable {
    /// A row per event under a header: the columns (every one the tool can show), the JSON keys
    /// no column shows, and the line printed once the probes are attached, if any.
    case columns([ColumnInfo], jsonExtraKeys: [String], banner: String?, defaultHeader: String, countMode: CountModeInfo? = nil)
    /// A banner once attached, then reports (histograms, stack counts) at intervals or the end.
    case summary(banner: String, jsonKeys: [String])
}

/// What the manifest says of one column.
public struct ColumnInfo: Sendable, Equatable {
    public let title: String
    public let jsonKey: String
    /// The option that shows it, nil when it is always shown.
    public let shownWith: String?

    public init(title: String, jsonKey: String, shownWith: String?) {
        self.title = title
        self.jsonKey = jsonKey
        self.shownWith = shownWith
    }
}

/// A streaming tool's count mode (-c): the option, the report's header and its JSON keys.
public struct CountModeInfo: Sendable {
    public let option: String
    public let header: String
    public let jsonKeys: [String]

    public init(option: String, header: String, jsonKeys: [String]) {
        self.option = option
        self.header = header
        self.jsonKeys = jsonKeys
    }
}
