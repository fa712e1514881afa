import Foundation
import LoaderCore
import ToolRegistry

/// tools.json as generated from the registry, read back as the tests' statement of what each
/// tool offers.
struct Manifest {
    struct Option { let short: String?; let long: String; let argument: String? }
    struct Column { let title: String; let json: String; let shownWith: String? }
    struct Candidate { let kind: String; let target: String; let program: String }
    struct Chain { let role: String; let required: Bool; let chain: [Candidate] }
    struct Tool {
        let name: String
        let options: [Option]
        let columns: [Column]
        /// By option ("" = none).
        let plans: [String: [Chain]]
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

    /// The manifest the code generates now (the committed tools.json must equal it).
    static func generated() throws -> String {
        ToolManifest.pretty(try ToolManifest.document(Registry.tools)) + "\n"
    }

    static func load() throws -> Manifest {
        let data = Data(try generated().utf8)
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
                plans: (t["plans"] as? [String: [[String: Any]]] ?? [:]).mapValues { chains in
                    chains.map { p in
                        Chain(role: p["role"] as? String ?? "", required: p["required"] as? Bool ?? true,
                              chain: (p["chain"] as? [[String: Any]] ?? []).map {
                                  Candidate(kind: $0["kind"] as? String ?? "", target: $0["target"] as? String ?? "",
                                            program: $0["program"] as? String ?? "")
                              })
                    }
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

