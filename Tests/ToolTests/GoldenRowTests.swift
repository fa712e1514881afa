import Foundation
import LoaderCore
import Testing

/// Every streaming tool's header and rows for every combination of the options that change
/// them, rendered from synthetic records with a fixed clock, without root, and compared byte
/// for byte with Tests/ToolTests/Golden/<tool>.txt (written afresh with UPDATE_GOLDEN=1, then
/// read and checked against BCC by a person: the live tests check the same columns as root).
@Suite struct GoldenRowTests {
    static let streaming = toolsUnderTest.filter { $0.type is any StreamingTool.Type }.map(\.name)

    /// A new streaming tool brings its samples (Samples/<tool>.swift) with it.
    @Test(arguments: streaming)
    func everyStreamingToolHasSamples(name: String) {
        #expect(toolsUnderTest.first { $0.name == name }?.type is any GoldenSampled.Type,
                "\(name): no Tests/ToolTests/Samples/\(name).swift (extension <Tool>: GoldenSampled)")
    }

    @Test(arguments: streaming)
    func rowsMatchTheGoldenFile(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name }?.type as? any GoldenSampled.Type)
        let manifest = try #require(try Manifest.load().tool(name))
        let flags = Array(Set(manifest.columns.compactMap(\.shownWith))).sorted() + tool.goldenRowOptions
        var invocations: [[String]] = []
        for mask in 0..<(1 << flags.count) {
            invocations.append(flags.indices.filter { mask & (1 << $0) != 0 }.map { flags[$0] })
        }
        invocations.append(flags + ["--json"])
        invocations.append(["--json"])
        var text = ""
        for flags in invocations {
            let arguments = flags.flatMap { flag in [flag] + (tool.goldenOptionValues[flag].map { [$0] } ?? []) }
            text += "$ \(([name] + tool.defaultArguments + arguments).joined(separator: " "))\n"
            text += try Self.render(tool, arguments).joined(separator: "\n") + "\n\n"
        }
        let url = Manifest.packageRoot.appendingPathComponent("Tests/ToolTests/Golden/\(name).txt")
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "\(name): rows differ from \(url.path) (UPDATE_GOLDEN=1 rewrites it)")
    }

    /// No row holds a raw control character: hostile names and paths arrive escaped.
    @Test(arguments: streaming)
    func rowsHoldNoControlCharacters(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name }?.type as? any GoldenSampled.Type)
        for arguments in [[], ["--json"]] {
            for line in try Self.render(tool, arguments) {
                #expect(!line.unicodeScalars.contains { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }, "\(line)")
            }
        }
    }

    static func render(_ type: any GoldenSampled.Type, _ arguments: [String]) throws -> [String] {
        setenv("TZ", "UTC0", 1)
        Clock.loadTimeZone()
        let tool = try type.parse(type.defaultArguments + arguments)
        let sink = CollectedLines()
        // a fixed wall clock: the tool started at 2026-12-01T12:34:56Z
        let context = RowContext(localTime: { "12:34:56" }, startNs: goldenStartNs, realtimeNs: { ns in
            1_796_128_496_000_000_000 &+ (ns ?? goldenStartNs) &- goldenStartNs
        })
        type.prepare(context)
        tool.render(type.goldenRecords, to: sink, context: context)
        return sink.lines
    }
}
