/// A self-contained SVG flame graph (Brendan Gregg's layout): one box per frame, roots at the
/// bottom, each box as wide as the samples it covers, callers below callees. Interactive as
/// flamegraph.pl's: click a frame to zoom to it (its callers stay, dimmed, below), "Reset
/// Zoom" (or Escape) to go back; "Search" (or Ctrl-F) highlights the frames whose names match
/// a regular expression and shows the share of samples they cover; hovering shows a frame's
/// name and counts. The URL can ask for both on load: `?s=REGEX` searches, `?z=N` zooms to the
/// Nth frame. Frames ending in "_[k]" are kernel frames: drawn in orange, user frames in
/// red-yellow. Every name is escaped for XML (any symbol or process name makes a valid file).
public struct FlameGraph {
    public let title: String
    /// What a count counts: "samples", "us" (microseconds off CPU).
    public let unit: String
    /// Pixels.
    public let width: Int
    /// Each stack root first, with its count.
    public let samples: [(folded: [String], count: UInt64)]

    public init(title: String, unit: String = "samples", width: Int = 1200, samples: [(folded: [String], count: UInt64)]) {
        self.title = title
        self.unit = unit
        self.width = width
        self.samples = samples
    }

    private final class Node {
        let name: String
        var count: UInt64 = 0
        var children: [String: Node] = [:]
        var order: [String] = []
        init(_ name: String) { self.name = name }

        func child(_ name: String) -> Node {
            if let node = children[name] { return node }
            let node = Node(name)
            children[name] = node
            order.append(name)
            return node
        }

        var depth: Int { 1 + (children.values.map(\.depth).max() ?? 0) }
    }

    static let frameHeight = 16.0, padTop = 40.0, padSide = 10.0, minWidth = 0.1

    public func svg() -> String {
        let root = Node("all")
        for (frames, count) in samples {
            root.count &+= count
            var node = root
            for frame in frames {
                node = node.child(frame)
                node.count &+= count
            }
        }
        let width = Double(self.width)
        let height = Self.padTop + Double(root.depth) * Self.frameHeight + Self.padSide * 3
        let scale = root.count > 0 ? (width - 2 * Self.padSide) / Double(root.count) : 0
        var boxes = ""
        func draw(_ node: Node, x: Double, level: Int) {
            let w = Double(node.count) * scale
            guard w >= Self.minWidth else { return }
            let y = height - Self.padSide * 2 - Double(level + 1) * Self.frameHeight
            let kernel = node.name.hasSuffix("_[k]")
            let name = kernel ? String(node.name.dropLast(4)) : node.name
            let percent = root.count > 0 ? Double(node.count) * 100 / Double(root.count) : 0
            let tip = "\(name) (\(node.count) \(unit), \(Self.format(percent))%)"
            boxes += "<g class=\"f\" data-name=\"\(Self.escape(name))\" data-count=\"\(node.count)\"><title>\(Self.escape(tip))</title>"
            boxes += "<rect x=\"\(Self.format(x))\" y=\"\(Self.format(y))\" width=\"\(Self.format(w))\" height=\"\(Self.format(Self.frameHeight - 1))\" fill=\"\(Self.color(node.name, kernel: kernel, root: level == 0))\" rx=\"2\" ry=\"2\"/>"
            boxes += "<text x=\"\(Self.format(x + 3))\" y=\"\(Self.format(y + 11.5))\">\(Self.escape(Self.label(name, width: w)))</text>"
            boxes += "</g>\n"
            var childX = x
            for childName in node.order.sorted() {
                guard let child = node.children[childName] else { continue }
                draw(child, x: childX, level: level + 1)
                childX += Double(child.count) * scale
            }
        }
        draw(root, x: Self.padSide, level: 0)
        let w = Int(width), h = Int(height)
        return """
        <?xml version="1.0" standalone="no"?>
        <svg version="1.1" width="\(w)" height="\(h)" viewBox="0 0 \(w) \(h)" xmlns="http://www.w3.org/2000/svg" onload="fg_init()" data-width="\(w)" data-total="\(root.count)" data-unit="\(Self.escape(unit))">
        <style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); } g.f:hover rect { stroke: black; stroke-width: 0.5; } g.f { cursor: pointer; } g.hidden { display: none; } g.parent { opacity: 0.5; } .button { cursor: pointer; } .button:hover { text-decoration: underline; } #unzoom.off { display: none; }</style>
        <script type="text/ecmascript"><![CDATA[
        \(Self.script)
        ]]></script>
        <rect x="0" y="0" width="\(w)" height="\(h)" fill="rgb(248,248,248)"/>
        <text x="\(w / 2)" y="24" text-anchor="middle" style="font-size: 17px">\(Self.escape(title))</text>
        <text id="unzoom" class="button off" x="\(Int(Self.padSide))" y="24">Reset Zoom</text>
        <text id="search" class="button" x="\(w - Int(Self.padSide) - 110)" y="24">Search</text>
        <text id="details" x="\(Int(Self.padSide))" y="\(h - Int(Self.padSide))">\(root.count) \(Self.escape(unit)); kernel frames orange, user frames red to yellow; click to zoom</text>
        <text id="matched" x="\(w - Int(Self.padSide) - 110)" y="\(h - Int(Self.padSide))"> </text>
        <g id="frames">
        \(boxes)</g>
        </svg>

        """
    }

    /// The name as it fits in `width` pixels (~7 per character at 12 px), ".." when cut.
    static func label(_ name: String, width: Double) -> String {
        let fits = Int(max(width - 6, 0) / 7)
        guard fits >= 3 else { return "" }
        return name.count <= fits ? name : String(name.prefix(fits - 2)) + ".."
    }

    public func write(to path: String) throws(BPFError) {
        try writeFile(path, svg())
    }

    static func color(_ name: String, kernel: Bool, root: Bool) -> String {
        if root { return "rgb(200,200,200)" }
        var hash: UInt32 = 2166136261  // FNV-1a: the same name gets the same colour every time
        for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16777619 }
        let v = Double(hash % 1000) / 1000
        if kernel { return "rgb(\(Int(230 + 25 * v)),\(Int(120 + 60 * v)),\(Int(20 + 30 * v)))" }
        return "rgb(\(Int(205 + 50 * v)),\(Int(50 + 180 * v)),\(Int(40 + 15 * v)))"
    }

    static func format(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    /// XML text: markup characters as entities; control characters (which XML 1.0 forbids,
    /// and a process name may hold) escaped as TerminalText does, and the non-characters
    /// U+FFFE/U+FFFF replaced.
    static func escape(_ text: String) -> String {
        var out = ""
        for c in TerminalText.escaped(text) {
            switch c {
            case "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(c)
            }
        }
        return out
    }
}
