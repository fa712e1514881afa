import ArgumentParser
import FoundationEssentials

/// tools.json, written from the tools themselves: names, descriptions and options from the
/// parser, probe plans, columns and reports from the BPFTool declarations. It is generated
/// (`swift run tools-manifest > tools.json`), and a test fails when the committed file differs.
public enum ToolManifest {
    public static let about = "Manifest of every tool in this package, generated from the code (swift run tools-manifest "
        + "> tools.json; a test fails when it is stale). For each tool: its BPF source and shared header, its options "
        + "(from its parser), its probe plans (`plans`: for no option and for each option that changes the plan, the "
        + "chains of probes by role, in order of preference: the first this kernel supports is used), and its output: "
        + "streaming tools list `columns` (`shown_with`: the option that shows it), summary tools a `banner` and "
        + "`json_keys`."

    public static func document(_ tools: [any BPFTool.Type]) throws -> JSONValue {
        .object([
            ("about", .string(about)),
            ("common_options", .array(options(of: CommonOptions.self).filter { $0.long != "--help" }.map(\.json)
                                      + [Option(short: "-h", long: "--help", argument: nil, meaning: "show this help message and exit").json])),
            // keys every JSON record of every tool has, before its own (docs/json.md)
            ("json_common_keys", .array([.string("timestamp")])),
            ("tools", .array(try tools.map { try entry($0) })),
        ])
    }

    public static func entry(_ tool: any BPFTool.Type) throws -> JSONValue {
        let name = tool.toolName
        let common = Set(options(of: CommonOptions.self).map(\.long))
        var members: [(String, JSONValue)] = [
            ("name", .string(name)),
            ("description", .string(tool.configuration.abstract)),
            ("bpf_source", .string("bpf-src/\(name).bpf.c")),
            ("shared_header", .string("Sources/BPFEvents/include/\(name).h")),
        ]
        members.append(("plans", .object(try tool.plans().map { option, plan in (option, .array(plan.map(chainJSON))) })))
        let all = options(of: tool)
        members.append(("options", .array(all.filter { !$0.positional && !common.contains($0.long) && $0.long != "--help" }.map(\.json))))
        let positionals = all.filter(\.positional)
        if !positionals.isEmpty {
            members.append(("positionals", .array(positionals.map { .object([("name", .string($0.long)), ("meaning", .string($0.meaning))]) })))
        }
        // what a bare run needs (the scripts run the tool with these)
        if !tool.defaultArguments.isEmpty {
            members.append(("default_arguments", .array(tool.defaultArguments.map { .string($0) })))
        }
        switch tool.output {
        case .columns(let columns, let extra, let banner, let header, let countMode):
            members.append(("kind", .string("streaming")))
            if let banner { members.append(("banner", .string(banner))) }
            members.append(("columns", .array(columns.map { column in
                .object([("title", .string(column.title)), ("json", column.jsonKey.isEmpty ? .null : .string(column.jsonKey)),
                         ("shown_with", column.shownWith.map { .string($0) } ?? .null)])
            })))
            members.append(("json_extra_keys", .array(extra.map { .string($0) })))
            members.append(("default_header", .string(header)))
            if let countMode {
                members.append(("count_mode", .object([("option", .string(countMode.option)), ("header", .string(countMode.header)),
                                                       ("json_keys", .array(countMode.jsonKeys.map { .string($0) }))])))
            }
        case .summary(let banner, let keys):
            members.append(("kind", .string("summary")))
            members.append(("banner", .string(banner)))
            members.append(("json_keys", .array(keys.map { .string($0) })))
        }
        return .object(members)
    }

    static func chainJSON(_ chain: ProbeChain) -> JSONValue {
        .object([("role", .string(chain.role)), ("required", .bool(chain.required)),
                 ("chain", .array(chain.candidates.map { candidate in
                     var members: [(String, JSONValue)] = [("kind", .string(candidate.kind.manifestKind)),
                                                           ("target", .string(candidate.kind.target)),
                                                           ("program", .string(candidate.program))]
                     if !candidate.requires.isEmpty {
                         members.append(("requires", .array(candidate.requires.map { .string($0.description) })))
                     }
                     return .object(members)
                 }))])
    }

    struct Option {
        let short: String?
        let long: String
        let argument: String?
        let meaning: String
        var positional = false

        var json: JSONValue {
            .object([("short", short.map { .string($0) } ?? .null), ("long", .string(long)),
                     ("argument", argument.map { .string($0) } ?? .null), ("meaning", .string(meaning))])
        }
    }

    /// The options as the parser describes them (its --experimental-dump-help JSON).
    static func options<T: ParsableArguments>(of type: T.Type) -> [Option] {
        guard let dump = try? JSONDecoder().decode(Dump.self, from: Data(T._dumpHelp().utf8)) else { return [] }
        return (dump.command.arguments ?? []).compactMap { argument in
            if argument.kind == "positional" {
                return Option(short: nil, long: argument.valueName ?? "", argument: nil, meaning: argument.abstract ?? "", positional: true)
            }
            let names = argument.names ?? []
            let short = names.first { $0.kind == "short" }.map { "-" + $0.name }
            guard let long = names.first(where: { $0.kind == "long" }).map({ "--" + $0.name }) ?? short else { return nil }
            // argparse's metavar: the name upper-cased, a list of choices ("{auto,fp}") as it is
            let metavar = argument.valueName.map { $0.hasPrefix("{") ? $0 : $0.uppercased() }
            return Option(short: short == long ? nil : short, long: long, argument: argument.kind == "option" ? metavar : nil,
                          meaning: argument.abstract ?? "")
        }
    }

    private struct Dump: Decodable {
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable {
            let kind: String
            let names: [Name]?
            let valueName: String?
            let abstract: String?
        }
        struct Name: Decodable { let kind: String; let name: String }
        let command: Command
    }

    /// JSON laid out for people and diffs: an object or array of plain values stays on one
    /// line, others get a line per member.
    public static func pretty(_ value: JSONValue, indent: String = "") -> String {
        let flat = value.serialized
        if value.isFlat { return flat }
        let inner = indent + "  "
        switch value {
        case .array(let items):
            return "[\n" + items.map { inner + pretty($0, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let members):
            return "{\n" + members.map { key, member in
                inner + JSONValue.string(key).serialized + ": " + pretty(member, indent: inner)
            }.joined(separator: ",\n") + "\n\(indent)}"
        default:
            return flat
        }
    }
}

extension JSONValue {
    /// Holds no object, and no array but of plain values.
    var isFlat: Bool {
        switch self {
        case .array(let items): items.allSatisfy(\.isScalar)
        case .object(let members): members.allSatisfy { $0.1.isScalar || (!$0.1.isObject && $0.1.isFlat) }
        default: true
        }
    }

    private var isScalar: Bool {
        switch self {
        case .array, .object: false
        default: true
        }
    }

    private var isObject: Bool { if case .object = self { true } else { false } }
}

extension ProbeKind {
    /// The kind as the manifest names it (libbpf's section prefix).
    public var manifestKind: String {
        if case .onDemand = self { return "on_demand" }  // a raw_tp program, but never attached
        return String(sectionName.prefix { $0 != "/" })
    }

    /// What the probe attaches to, as the manifest names it.
    public var target: String {
        switch self {
        case .tracepoint(let c, let n): "\(c):\(n)"
        case .btfTracepoint(let n), .rawTracepoint(let n), .fentry(let n), .fexit(let n), .kprobe(let n),
             .kretprobe(let n), .ksyscall(let n), .kretsyscall(let n): n
        case .perfEvent(let e): e.name
        case .uprobe(let t), .uretprobe(let t): t.description
        case .usdt(let t): t.description
        case .onDemand: "BPF_PROG_TEST_RUN"
        }
    }
}
