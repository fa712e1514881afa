import Foundation
import Testing

/// profile's flame graph in a real browser (Debian's chromium, headless): the SVG's script
/// runs, a search given in the URL highlights exactly the frames whose names match and shows
/// the share of samples they cover, and a zoom given in the URL widens the frame to the whole
/// graph and hides the frames outside it.
@Suite(.serialized, .enabled(if: BPFTests.enabled, "needs root to load BPF (set BPF_TESTS_REQUIRED=1 to fail instead)"))
final class FlameGraphBrowserTests {
    let programs: HotPrograms

    init() throws { programs = try HotPrograms() }

    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// The DOM after the SVG's script ran on load, with `query` in its URL.
    func dom(_ svg: String, query: String) throws -> String {
        let browser = try #require(Self.chromium, "chromium is not installed (scripts/install-deps.sh test)")
        let profileDir = programs.dir.path + "/chromium-" + UUID().uuidString.prefix(8)
        return try commandOutput(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=" + profileDir,
                                           "--virtual-time-budget=2000", "--dump-dom", "file://" + svg + "?" + query])
    }

    struct DrawnFrame {
        let name: String
        let classes: String
        let x, y, width: Double
    }

    /// The frames (g.f) of an SVG or DOM, in document order.
    static func frames(_ text: String) -> [DrawnFrame] {
        let pattern = try! NSRegularExpression(pattern: #"<g class="([^"]*)" data-name="([^"]*)" data-count="\d+"><title>[^<]*</title><rect x="([^"]*)" y="([^"]*)" width="([^"]*)""#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap { m in
            func group(_ i: Int) -> String { Range(m.range(at: i), in: text).map { String(text[$0]) } ?? "" }
            return DrawnFrame(name: group(2), classes: group(1), x: Double(group(3)) ?? -1, y: Double(group(4)) ?? -1,
                              width: Double(group(5)) ?? -1)
        }
    }

    @Test func searchHighlightsTheMatchesAndZoomWidensAFrame() throws {
        let svg = programs.dir.path + "/browser.svg"
        let workload = try programs.start("cpu", seconds: 3.5)
        defer { workload.kill(); workload.waitUntilExit() }
        let run = try ToolRun("profile", ["-f", "-p", String(workload.processIdentifier), "--flamegraph", svg,
                                          "--title", "hot <paths> & \"quotes\"", "--width", "900", "2"])
        #expect(run.waitForExit(timeout: 20) == 0, "\(run.stderr)")
        let source = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(source.contains("hot &lt;paths&gt; &amp; &quot;quotes&quot;"), "the title, escaped")
        #expect(source.contains("width=\"900\""))
        let drawn = Self.frames(source)
        let expected = drawn.filter { $0.name.hasPrefix("hot_") }.count
        #expect(expected >= 3, "hot_outer, hot_middle and hot_leaf drawn: \(drawn.map(\.name))")

        // the share of samples under hot_ frames, from the folded lines
        let counts = run.lines.compactMap { line -> (String, Int)? in
            guard let space = line.lastIndex(of: " "), let n = Int(line[line.index(after: space)...]) else { return nil }
            return (String(line[..<space]), n)
        }
        let total = counts.reduce(0) { $0 + $1.1 }
        let hot = counts.filter { $0.0.contains(";hot_") }.reduce(0) { $0 + $1.1 }
        let share = Double(hot) * 100 / Double(max(total, 1))

        let searched = try dom(svg, query: "s=^hot_")
        let highlighted = Self.frames(searched).filter { $0.classes.split(separator: " ").contains("match") }
        #expect(highlighted.count == expected, "\(highlighted.map(\.name)) highlighted, \(expected) expected")
        #expect(highlighted.allSatisfy { $0.name.hasPrefix("hot_") })
        let shown = searched.range(of: #"Matched: [0-9.]+%"#, options: .regularExpression).map { String(searched[$0]) }
        let percent = shown.flatMap { Double($0.dropFirst(9).dropLast()) } ?? -1
        #expect(abs(percent - share) <= 0.5, "\(shown ?? "no Matched text"), the folded lines say \(share)%")

        // zoom to hot_middle: it spans the graph (900 - 2 * 10); its callers stay, dimmed; the
        // frames neither its callers nor inside it are hidden
        let middle = try #require(drawn.firstIndex { $0.name == "hot_middle" })
        let zoomed = Self.frames(try dom(svg, query: "z=\(middle)"))
        #expect(zoomed.count == drawn.count)
        if zoomed.count == drawn.count {
            let z = drawn[middle]
            #expect(abs(zoomed[middle].width - 880) < 0.5, "hot_middle is \(zoomed[middle].width) wide after the zoom")
            for (before, after) in zip(drawn, zoomed) {
                let caller = before.y > z.y && before.x <= z.x + 0.02 && before.x + before.width >= z.x + z.width - 0.02
                let inside = before.y <= z.y && before.x >= z.x - 0.02 && before.x + before.width <= z.x + z.width + 0.02
                #expect(after.classes.contains("parent") == caller, "\(before.name): \(after.classes)")
                #expect(after.classes.contains("hidden") == !(caller || inside), "\(before.name): \(after.classes)")
            }
            #expect(zoomed.filter { $0.classes.contains("parent") }.map(\.name).contains("main"), "main stays below, dimmed")
        }
    }
}
