import ArgumentParser
import BPFEvents
import Foundation
import LoaderCore
import Testing
import ToolRegistry

/// What a tool is, seen through the registry: its parser, its probe plans and its object.
struct ToolUnderTest: Sendable {
    let type: any BPFTool.Type
    var name: String { type.toolName }
    func parse(_ arguments: [String]) throws { _ = try type.parse(arguments) }
    /// The plan without options, and with each option that changes it.
    var plans: [String: AttachPlan] {
        get throws { Dictionary(uniqueKeysWithValues: try type.plans().map { ($0.option, $0.plan) }) }
    }
    var object: EmbeddedObject { type.object }
}

let toolsUnderTest: [ToolUnderTest] = Registry.tools.map { ToolUnderTest(type: $0) }

@Suite struct ToolManifestTests {
    let manifest: Manifest

    init() throws { manifest = try Manifest.load() }

    /// tools.json is what the code says: regenerate it with `swift run tools-manifest > tools.json`.
    @Test func committedManifestIsTheGeneratedOne() throws {
        let committed = try String(contentsOf: Manifest.packageRoot.appendingPathComponent("tools.json"), encoding: .utf8)
        #expect(committed == (try Manifest.generated()), "tools.json is stale: run swift run tools-manifest > tools.json")
    }

    /// Package.swift's `tools` and the registry name the same tools, and each has its files.
    @Test func everyRegisteredToolHasItsFiles() throws {
        let package = try String(contentsOf: Manifest.packageRoot.appendingPathComponent("Package.swift"), encoding: .utf8)
        let list = try #require(package.range(of: "let tools = [").map { package[$0.upperBound...] }?.prefix { $0 != "]" })
        let packaged = list.split(separator: "\n").compactMap { line -> String? in
            let quoted = line.split(separator: "\"")
            return quoted.count >= 2 ? String(quoted[1]) : nil
        }
        #expect(packaged == toolsUnderTest.map(\.name))
        #expect(Set(toolsUnderTest.map(\.name)).count == toolsUnderTest.count)
        for tool in manifest.tools {
            for path in [tool.bpfSource, "man/man8/\(tool.name).8", "Sources/BPFEvents/include/\(tool.name).h",
                         "Sources/\(tool.name)/matrix/scenario.sh", "Sources/\(tool.name)/matrix/check.py"] {
                #expect(FileManager.default.fileExists(atPath: Manifest.packageRoot.appendingPathComponent(path).path), "\(path)")
            }
        }
    }

    @Test(arguments: toolsUnderTest.map(\.name))
    func everyListedOptionIsAccepted(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let entry = try #require(manifest.tool(name))
        let samples = (tool.type as? any OptionSampled.Type)?.optionSamples ?? [:]
        for option in entry.options + manifest.commonOptions where option.long != "--help" {
            let value = samples[option.long] ?? Self.sampleValue(option)
            for spelling in [option.short, option.long].compactMap({ $0 }) {
                let args = value.map { [spelling, $0] } ?? [spelling]
                #expect(throws: Never.self, "\(name) \(args)") { try tool.parse(tool.type.defaultArguments + args) }
            }
        }
    }

    @Test(arguments: toolsUnderTest.map(\.name))
    func manPageDocumentsEveryOptionAndColumn(name: String) throws {
        let entry = try #require(manifest.tool(name))
        let page = try String(contentsOf: Manifest.packageRoot.appendingPathComponent("man/man8/\(name).8"), encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
        for section in ["NAME", "SYNOPSIS", "DESCRIPTION", "REQUIREMENTS", "OPTIONS", "EXAMPLES", "FIELDS", "OVERHEAD", "SOURCE", "SEE ALSO"] {
            #expect(page.contains(".SH \(section)"), "\(name).8 lacks \(section)")
        }
        for option in entry.options + manifest.commonOptions {
            #expect(page.contains(option.long), "\(name).8 does not document \(option.long)")
            if let short = option.short {
                let spelled = short + (option.argument.map { " " + $0 } ?? "") + ","
                #expect(page.contains(spelled), "\(name).8 does not document \(spelled)")
            }
        }
        for column in entry.columns {
            #expect(page.contains("\n\(column.title)\n") && page.contains("JSON key: \(column.json)"), "\(name).8: \(column.title)")
        }
        for key in entry.jsonKeys {
            #expect(page.contains("\\fB\(key)\\fR"), "\(name).8 does not document the JSON key \(key)")
        }
        for positional in entry.positionals {
            #expect(page.contains("\\fI\(positional)\\fR"), "\(name).8 does not document \(positional)")
        }
    }

    /// Opening an object needs no privilege: every program in it belongs to the plan, under the
    /// section its probe kind needs, and every program the plan names exists.
    @Test(arguments: toolsUnderTest.map(\.name))
    func planAndBPFObjectAgree(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let object = try BPFObject(tool.object)
        let sections = Dictionary(uniqueKeysWithValues: object.programSections.map { ($0.name, $0.section) })
        let plans = try tool.plans
        let planned = plans.values.flatMap { $0.flatMap(\.candidates) }
        #expect(Set(planned.map(\.program)) == Set(sections.keys))
        // no plan loads two programs for one role, and every variant has its own program
        for plan in plans.values { #expect(Set(plan.map(\.role)).count == plan.count) }
        for candidate in planned {
            #expect(sections[candidate.program] == candidate.kind.sectionName, "\(candidate.program)")
        }
    }

    /// Each tool's config struct (its shared C header) is the size of its BPF `cfg` variable.
    @Test(arguments: toolsUnderTest.map(\.name))
    func configStructFitsItsBPFVariable(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        var object = try BPFObject(tool.object)
        try Self.configure(&object, tool.type)
        #expect(throws: BPFError.self) { try object.configure(UInt8(0)) }
    }

    static func configure<T: BPFTool>(_ object: inout BPFObject, _ type: T.Type) throws {
        let config = try type.parse(type.defaultArguments).bpfConfig()
        try withUnsafeBytes(of: config) { try object.configure(bytes: $0) }
    }

    /// A valid value for an option, from the name of its argument (a tool's own kinds of value
    /// are in its OptionSampled samples).
    static func sampleValue(_ option: Manifest.Option) -> String? {
        guard let argument = option.argument else { return nil }
        if argument.hasPrefix("{") {  // one of the choices
            return argument.dropFirst().split(separator: ",").first.map { String($0.filter { $0 != "}" }) }
        }
        switch argument {
        case "PATH": return "/sys/fs/cgroup"
        case "USER": return "root"
        case "PORT", "LOCALPORT", "REMOTEPORT": return "80,443"
        case "PIXELS": return "800"
        case "ADDR": return ":9435"
        case "URL": return "http://localhost:4318"
        default: return "1"
        }
    }
}
