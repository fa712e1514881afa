/// A self-contained SVG flame graph (Brendan Gregg's layout): one box per frame, roots at the
/// bottom, each box as wide as the samples it covers, callers below callees. Names are SVG
/// text (searchable with the browser's find) with the full name and counts in a tooltip.
/// Frames ending in "_[k]" are kernel frames: drawn in orange, user frames in red-yellow.
public struct FlameGraph {
    public let title: String
    /// What a count counts: "samples", "us" (microseconds off CPU).
    public let unit: String
    /// Each stack root first, with its count.
    public let samples: [(folded: [String], count: UInt64)]

    public init(title: String, unit: String = "samples", samples: [(folded: [String], count: UInt64)]) {
        self.title = title
        self.unit = unit
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
    }

    static let width = 1200.0, frameHeight = 16.0, padTop = 40.0, padSide = 10.0, minWidth = 0.1

    public func svg() -> String {
        let root = Node("all")
        for (frames, count) in samples {
            root.count += count
            var node = root
            for frame in frames {
                node = node.child(frame)
                node.count += count
            }
        }
        func depth(_ node: Node) -> Int { 1 + (node.order.map { depth(node.children[$0]!) }.max() ?? 0) }
        let levels = depth(root)
        let height = Self.padTop + Double(levels) * Self.frameHeight + Self.padSide * 3
        let scale = root.count > 0 ? (Self.width - 2 * Self.padSide) / Double(root.count) : 0
        var boxes = ""
        func draw(_ node: Node, x: Double, level: Int) {
            let w = Double(node.count) * scale
            guard w >= Self.minWidth else { return }
            let y = height - Self.padSide * 2 - Double(level + 1) * Self.frameHeight
            let kernel = node.name.hasSuffix("_[k]")
            let name = kernel ? String(node.name.dropLast(4)) : node.name
            let percent = root.count > 0 ? Double(node.count) * 100 / Double(root.count) : 0
            let tip = "\(name) (\(node.count) \(unit), \(Self.format(percent))%)"
            boxes += "<g><title>\(Self.escape(tip))</title>"
            boxes += "<rect x=\"\(Self.format(x))\" y=\"\(Self.format(y))\" width=\"\(Self.format(w))\" height=\"\(Self.format(Self.frameHeight - 1))\" fill=\"\(Self.color(node.name, kernel: kernel, root: level == 0))\" rx=\"2\" ry=\"2\"/>"
            let fits = Int((w - 6) / 7)  // ~7 px per character at 12 px
            if fits >= 3 {
                let label = name.count <= fits ? name : String(name.prefix(fits - 2)) + ".."
                boxes += "<text x=\"\(Self.format(x + 3))\" y=\"\(Self.format(y + 11.5))\">\(Self.escape(label))</text>"
            }
            boxes += "</g>\n"
            var childX = x
            for childName in node.order.sorted() {
                guard let child = node.children[childName] else { continue }
                draw(child, x: childX, level: level + 1)
                childX += Double(child.count) * scale
            }
        }
        draw(root, x: Self.padSide, level: 0)
        return """
        <?xml version="1.0" standalone="no"?>
        <svg version="1.1" width="\(Int(Self.width))" height="\(Int(height))" viewBox="0 0 \(Int(Self.width)) \(Int(height))" xmlns="http://www.w3.org/2000/svg">
        <style>text { font-family: Verdana, sans-serif; font-size: 12px; fill: rgb(0,0,0); } rect:hover { stroke: black; stroke-width: 0.5; }</style>
        <rect x="0" y="0" width="\(Int(Self.width))" height="\(Int(height))" fill="rgb(248,248,248)"/>
        <text x="\(Int(Self.width / 2))" y="24" text-anchor="middle" style="font-size: 17px">\(Self.escape(title))</text>
        <text x="\(Int(Self.padSide))" y="\(Int(height - Self.padSide))">\(root.count) \(unit); kernel frames orange, user frames red to yellow; hover for counts</text>
        \(boxes)</svg>

        """
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
