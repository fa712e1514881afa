import Foundation
import Testing

/// One JSON vocabulary across the tools (docs/json.md): every key every tool declares in
/// tools.json is snake_case and in the vocabulary table; every record of the golden rows starts
/// with an RFC 3339 `timestamp` and holds only vocabulary keys.
@Suite struct JSONVocabularyTests {
    static let root = Manifest.packageRoot

    /// The keys of docs/json.md's vocabulary table ("| `key` | ...").
    static func vocabulary() throws -> Set<String> {
        let text = try String(contentsOf: root.appendingPathComponent("docs/json.md"), encoding: .utf8)
        return Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `") else { return nil }
            return line.dropFirst(3).split(separator: "`").first.map(String.init)
        })
    }

    /// Every JSON key each tool declares: its columns', extra, report and count-mode keys.
    static func declaredKeys() throws -> [(tool: String, keys: [String])] {
        let data = try Data(contentsOf: root.appendingPathComponent("tools.json"))
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(manifest["json_common_keys"] as? [String] == ["timestamp"])
        let tools = try #require(manifest["tools"] as? [[String: Any]])
        return tools.map { tool in
            var keys = (tool["columns"] as? [[String: Any]] ?? []).compactMap { $0["json"] as? String }
            keys += tool["json_extra_keys"] as? [String] ?? []
            keys += tool["json_keys"] as? [String] ?? []
            keys += (tool["count_mode"] as? [String: Any])?["json_keys"] as? [String] ?? []
            return (tool["name"] as? String ?? "?", keys)
        }
    }

    @Test func everyDeclaredKeyIsSnakeCaseAndInTheVocabulary() throws {
        let vocabulary = try Self.vocabulary()
        #expect(vocabulary.count > 40)
        for (tool, keys) in try Self.declaredKeys() {
            #expect(!keys.isEmpty, "\(tool) declares no JSON keys")
            for key in keys {
                #expect(key.wholeMatch(of: /[a-z][a-z0-9]*(_[a-z0-9]+)*/) != nil, "\(tool): \(key) is not snake_case")
                #expect(vocabulary.contains(key), "\(tool): \(key) is not in docs/json.md")
            }
        }
    }

    /// Reports and count modes carry the timestamp too (streaming tools get it from the core).
    @Test func reportsDeclareTheTimestamp() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("tools.json"))
        let tools = (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["tools"] as? [[String: Any]] ?? []
        for tool in tools {
            if let keys = tool["json_keys"] as? [String] { #expect(keys.first == "timestamp", "\(tool["name"] ?? "")") }
            if let count = tool["count_mode"] as? [String: Any] {
                #expect((count["json_keys"] as? [String])?.first == "timestamp", "\(tool["name"] ?? "") count mode")
            }
        }
    }

    @Test(arguments: GoldenRowTests.streaming)
    func goldenRecordsLeadWithATimestampAndUseTheVocabulary(name: String) throws {
        let vocabulary = try Self.vocabulary()
        let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/ToolTests/Golden/\(name).txt"), encoding: .utf8)
        let records = golden.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(!records.isEmpty)
        for record in records {
            // the first key, read from the text: JSONSerialization does not keep the order
            #expect(record.hasPrefix("{\"timestamp\": \""), "\(record)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
            let timestamp = try #require(object["timestamp"] as? String)
            #expect(timestamp.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}[+-]\d\d:\d\d/) != nil, "\(timestamp)")
            for key in object.keys { #expect(vocabulary.contains(key), "\(name): \(key) is not in docs/json.md") }
        }
    }
}
