import Foundation
import Testing

/// The multi-call binary: a tool chosen by the name it runs under or by its first argument
/// behaves as the tool's own binary (same help, same errors, same rows).
@Suite final class MultiCallTests {
    let dir: TempDir
    init() throws { dir = try TempDir("multicall-test") }
    deinit { dir.remove() }

    @Test(arguments: Products.toolNames)
    func firstArgumentAndLinkNameChooseTheTool(tool: String) throws {
        let own = try ToolRun(tool, ["-h"])
        #expect(own.waitForExit() == 0)
        let byArgument = try ToolRun("swift-bpf-tools", [tool, "-h"])
        #expect(byArgument.waitForExit() == 0)
        #expect(byArgument.lines == own.lines && !own.lines.isEmpty)
        let link = dir.path + "/" + tool
        try? FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: Products.binary("swift-bpf-tools"))
        let byName = try ToolRun(tool, ["-h"], executable: link, arguments: ["-h"])
        #expect(byName.waitForExit() == 0)
        #expect(byName.lines == own.lines)
        // a usage error is the tool's own, with its status
        let bad = try ToolRun("swift-bpf-tools", [tool, "--no-such-option"])
        #expect(bad.waitForExit() == 2)
        #expect(bad.stderr.hasPrefix("usage: \(tool) [-h]"), "\(bad.stderr)")
    }

    @Test func withoutAToolItListsThemAndFailsWithUsage() throws {
        let list = try ToolRun("swift-bpf-tools", ["--list"])
        #expect(list.waitForExit() == 0)
        #expect(list.lines == Products.toolNames)
        let none = try ToolRun("swift-bpf-tools", [])
        #expect(none.waitForExit() == 2)
        #expect(none.stderr.hasPrefix("usage: swift-bpf-tools TOOL"))
        let unknown = try ToolRun("swift-bpf-tools", ["nosuchtool\u{1b}[2J"])
        #expect(unknown.waitForExit() == 2)
        #expect(unknown.stderr.hasSuffix("swift-bpf-tools: error: no tool named 'nosuchtool\\x1b[2J'\n"), "\(unknown.stderr)")
        let version = try ToolRun("swift-bpf-tools", ["--version"])
        #expect(version.waitForExit() == 0)
        #expect(version.lines.first?.hasPrefix("swift-bpf-tools 0.") == true)
    }
}
