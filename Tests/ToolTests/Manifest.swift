import Foundation
import LoaderCore

/// tools.json, read as the tests' statement of what each tool offers.
struct Manifest {
    struct Option { let short: String?; let long: String; let argument: String? }
    struct Column { let title: String; let json: String; let shownWith: String? }
    struct Candidate { let kind: String; let target: String; let program: String }
    struct Chain { let role: String; let required: Bool; let chain: [Candidate]; let withOption: [String: [Candidate]]; let onlyWith: String? }
    struct Tool {
        let name: String
        let options: [Option]
        let columns: [Column]
        let probes: [Chain]
        let defaultHeader: String
        let bpfSource: String
        /// Summary tools: the line printed once attached, positional arguments, JSON keys.
        let banner: String?
        let positionals: [String]
        let jsonKeys: [String]
    }

    let tools: [Tool]
    let commonOptions: [Option]

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func load() throws -> Manifest {
        let data = try Data(contentsOf: packageRoot.appendingPathComponent("tools.json"))
        let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        func options(_ list: Any?) -> [Option] {
            (list as? [[String: Any]] ?? []).map {
                Option(short: $0["short"] as? String, long: $0["long"] as? String ?? "", argument: $0["argument"] as? String)
            }
        }
        let tools = (root["tools"] as? [[String: Any]] ?? []).map { t in
            Tool(
                name: t["name"] as? String ?? "",
                options: options(t["options"]),
                columns: (t["columns"] as? [[String: Any]] ?? []).map {
                    Column(title: $0["title"] as? String ?? "", json: $0["json"] as? String ?? "", shownWith: $0["shown_with"] as? String)
                },
                probes: (t["probes"] as? [[String: Any]] ?? []).map { p in
                    func candidates(_ list: Any?) -> [Candidate] {
                        (list as? [[String: Any]] ?? []).map {
                            Candidate(kind: $0["kind"] as? String ?? "", target: $0["target"] as? String ?? "",
                                      program: $0["program"] as? String ?? "")
                        }
                    }
                    return Chain(role: p["role"] as? String ?? "", required: p["required"] as? Bool ?? true,
                                 chain: candidates(p["chain"]),
                                 withOption: (p["with_option"] as? [String: Any] ?? [:]).mapValues(candidates),
                                 onlyWith: p["only_with"] as? String)
                },
                defaultHeader: t["default_header"] as? String ?? "",
                bpfSource: t["bpf_source"] as? String ?? "",
                banner: t["banner"] as? String,
                positionals: (t["positionals"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String },
                jsonKeys: t["json_keys"] as? [String] ?? [])
        }
        return Manifest(tools: tools, commonOptions: options(root["common_options"]))
    }

    func tool(_ name: String) -> Tool? { tools.first { $0.name == name } }
}

extension ProbeKind {
    /// The (kind, target) pair tools.json uses for this probe.
    var manifestForm: (kind: String, target: String) {
        switch self {
        case .tracepoint(let c, let n): ("tracepoint", "\(c):\(n)")
        case .btfTracepoint(let n): ("tp_btf", n)
        case .rawTracepoint(let n): ("raw_tp", n)
        case .fentry(let f): ("fentry", f)
        case .fexit(let f): ("fexit", f)
        case .kprobe(let f): ("kprobe", f)
        case .kretprobe(let f): ("kretprobe", f)
        case .ksyscall(let s): ("ksyscall", s)
        case .kretsyscall(let s): ("kretsyscall", s)
        case .perfEvent(let e): ("perf_event", e.name)
        }
    }
}
