import ArgumentParser
import BPFEvents
import Foundation
import LoaderCore
import Testing
@testable import execsnoop
@testable import opensnoop
@testable import biolatency
@testable import profile
@testable import tcpconnect
@testable import tcplife
@testable import tcpretrans

/// What a tool is, seen through the code: its parser, its header and its probe plan.
struct ToolUnderTest: Sendable {
    let name: String
    let parse: @Sendable ([String]) throws -> Void
    let header: @Sendable ([String]) throws -> String
    /// The plan without options, and with each option that changes it.
    let plans: [String: AttachPlan]
    let object: EmbeddedObject
}

let toolsUnderTest: [ToolUnderTest] = [
    ToolUnderTest(
        name: "execsnoop",
        parse: { _ = try ExecSnoop.parse($0) },
        header: { let o = try ExecSnoop.parse($0); return ExecPrinter(options: o, filters: try ExecFilters(name: nil, line: nil)).header },
        plans: ["": ExecSnoop.plan],
        object: EmbeddedObject(name: "execsnoop", base64: execsnoop.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "opensnoop",
        parse: { _ = try OpenSnoop.parse($0) },
        header: { OpenPrinter(options: try OpenSnoop.parse($0)).header },
        plans: ["": OpenSnoop.plan(fullPath: false), "-F": OpenSnoop.plan(fullPath: true)],
        object: EmbeddedObject(name: "opensnoop", base64: opensnoop.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "biolatency",
        parse: { _ = try BioLatency.parse($0) },
        header: { Log2Histogram(slots: [0, 1]).lines(unit: try BioLatency.parse($0).unit)[0] },
        plans: ["": BioLatency.plan(queued: false, flags: false), "-Q": BioLatency.plan(queued: true, flags: false),
                "-F": BioLatency.plan(queued: false, flags: true)],
        object: EmbeddedObject(name: "biolatency", base64: biolatency.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "profile",
        parse: { _ = try Profile.parse($0) },
        header: { try Profile.parse($0).banner },
        plans: ["": Profile.plan],
        object: EmbeddedObject(name: "profile", base64: profile.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "tcpconnect",
        parse: { _ = try TCPConnect.parse($0) },
        header: { ConnectPrinter(options: try TCPConnect.parse($0)).header },
        plans: ["": TCPConnect.plan],
        object: EmbeddedObject(name: "tcpconnect", base64: tcpconnect.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "tcplife",
        parse: { _ = try TCPLife.parse($0) },
        header: { LifePrinter(options: try TCPLife.parse($0)).header },
        plans: ["": TCPLife.plan],
        object: EmbeddedObject(name: "tcplife", base64: tcplife.embeddedBPFObjectBase64)),
    ToolUnderTest(
        name: "tcpretrans",
        parse: { _ = try TCPRetrans.parse($0) },
        header: { RetransPrinter(options: try TCPRetrans.parse($0)).header },
        plans: ["": TCPRetrans.plan(lossProbes: false), "-l": TCPRetrans.plan(lossProbes: true)],
        object: EmbeddedObject(name: "tcpretrans", base64: tcpretrans.embeddedBPFObjectBase64)),
]

@Suite struct ToolManifestTests {
    let manifest: Manifest

    init() throws { manifest = try Manifest.load() }

    @Test func manifestListsExactlyTheToolsThatExist() throws {
        #expect(Set(manifest.tools.map(\.name)) == Set(toolsUnderTest.map(\.name)))
        for tool in manifest.tools {
            #expect(FileManager.default.fileExists(atPath: Manifest.packageRoot.appendingPathComponent(tool.bpfSource).path))
            #expect(FileManager.default.fileExists(atPath: Manifest.packageRoot.appendingPathComponent("man/man8/\(tool.name).8").path))
        }
    }

    @Test(arguments: toolsUnderTest.map(\.name))
    func everyListedOptionIsAccepted(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let entry = try #require(manifest.tool(name))
        for option in entry.options + manifest.commonOptions where option.long != "--help" {
            let value = Self.sampleValue(option)
            for spelling in [option.short, option.long].compactMap({ $0 }) {
                let args = value.map { [spelling, $0] } ?? [spelling]
                #expect(throws: Never.self, "\(name) \(args)") { try tool.parse(args) }
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

    @Test(arguments: toolsUnderTest.map(\.name))
    func headerShowsEveryListedColumn(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let entry = try #require(manifest.tool(name))
        #expect(try tool.header([]) == entry.defaultHeader)
        let flags = Set(entry.columns.compactMap(\.shownWith))
        let full = try tool.header(Array(flags))
        for column in entry.columns {
            #expect(full.contains(column.title), "\(name): \(column.title) missing from \(full)")
        }
        let alone = try tool.header([])
        for column in entry.columns where column.shownWith != nil {
            #expect(!alone.contains(column.title + " "), "\(name): \(column.title) shown without \(column.shownWith ?? "")")
        }
    }

    @Test(arguments: toolsUnderTest.map(\.name))
    func probePlanMatchesTheManifest(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let entry = try #require(manifest.tool(name))
        let options = Set(entry.probes.flatMap(\.withOption.keys) + entry.probes.compactMap(\.onlyWith))
        #expect(Set(tool.plans.keys) == options.union([""]))
        for (option, plan) in tool.plans {
            let probes = entry.probes.filter { $0.onlyWith == nil || $0.onlyWith == option }
            #expect(plan.map(\.role) == probes.map(\.role))
            for (chain, listed) in zip(plan, probes) {
                let candidates = listed.withOption[option] ?? listed.chain
                #expect(chain.required == listed.required, "\(chain.role)")
                #expect(chain.candidates.map { $0.kind.manifestForm.kind } == candidates.map(\.kind), "\(chain.role) \(option)")
                #expect(chain.candidates.map { $0.kind.manifestForm.target } == candidates.map(\.target), "\(chain.role) \(option)")
                #expect(chain.candidates.map(\.program) == candidates.map(\.program), "\(chain.role) \(option)")
            }
        }
    }

    /// Opening an object needs no privilege: every program in it belongs to the plan, under the
    /// section its probe kind needs, and every program the plan names exists.
    @Test(arguments: toolsUnderTest.map(\.name))
    func planAndBPFObjectAgree(name: String) throws {
        let tool = try #require(toolsUnderTest.first { $0.name == name })
        let object = try BPFObject(tool.object)
        let sections = Dictionary(uniqueKeysWithValues: object.programSections.map { ($0.name, $0.section) })
        let planned = tool.plans.values.flatMap { $0.flatMap(\.candidates) }
        #expect(Set(planned.map(\.program)) == Set(sections.keys))
        // no plan loads two programs for one role, and every variant has its own program
        for plan in tool.plans.values { #expect(Set(plan.map(\.role)).count == plan.count) }
        for candidate in planned {
            #expect(sections[candidate.program] == candidate.kind.sectionName, "\(candidate.program)")
        }
    }

    @Test func configStructsFitTheirBPFVariables() throws {
        var exec = try BPFObject(toolsUnderTest[0].object)
        try exec.configure(execsnoop_cfg())
        var open = try BPFObject(toolsUnderTest[1].object)
        try open.configure(opensnoop_cfg())
        var bio = try BPFObject(toolsUnderTest[2].object)
        try bio.configure(biolatency_cfg())
        var prof = try BPFObject(toolsUnderTest[3].object)
        try prof.configure(profile_cfg())
        var connect = try BPFObject(toolsUnderTest[4].object)
        try connect.configure(tcpconnect_cfg())
        var life = try BPFObject(toolsUnderTest[5].object)
        try life.configure(tcplife_cfg())
        var retrans = try BPFObject(toolsUnderTest[6].object)
        try retrans.configure(tcpretrans_cfg())
        #expect(throws: BPFError.self) { try open.configure(UInt8(0)) }
    }

    static func sampleValue(_ option: Manifest.Option) -> String? {
        guard let argument = option.argument else { return nil }
        switch argument {
        case "PATH": return "/sys/fs/cgroup"
        case "USER": return "root"
        case "NAME", "LINE": return "x"
        case "FLAG": return "O_CREAT"
        case "BUFFER_PAGES": return "64"
        case "PORT", "LOCALPORT", "REMOTEPORT": return "80,443"
        default: return "1"
        }
    }
}
