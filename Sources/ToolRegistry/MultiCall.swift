import Glibc
import LoaderCore

/// The multi-call binary: every tool in one executable, chosen by the name it is run under (a
/// link named `execsnoop`) or by its first argument (`swift-bpf-tools execsnoop -T`). The
/// chosen tool then behaves exactly as its own binary does.
public enum MultiCall {
    public static let name = "swift-bpf-tools"

    public static func run(arguments: [String] = CommandLine.arguments) -> Never {
        let invokedAs = arguments.first.map { String($0.split(separator: "/").last ?? Substring($0)) } ?? name
        if let tool = Registry.tool(named: invokedAs) {
            start(tool, Array(arguments.dropFirst()))
        }
        let rest = Array(arguments.dropFirst())
        guard let first = rest.first else {
            Diagnostics.write(usage)
            exit(2)
        }
        if let tool = Registry.tool(named: first) {
            start(tool, Array(rest.dropFirst()))
        }
        switch first {
        case "-h", "--help":
            OutputSink.stdout.write(usage)
            OutputSink.stdout.flush()
            exit(0)
        case "--version":
            OutputSink.stdout.writeLine(ToolVersion.line(for: name))
            OutputSink.stdout.flush()
            exit(0)
        case "--list":
            for tool in Registry.tools { OutputSink.stdout.writeLine(tool.toolName) }
            OutputSink.stdout.flush()
            exit(0)
        default:
            Diagnostics.write(usage)
            Diagnostics.line("\(name): error: no tool named '\(TerminalText.escaped(first))'")
            exit(2)
        }
    }

    static var usage: String {
        """
        usage: \(name) TOOL [ARGUMENTS...]
               TOOL [ARGUMENTS...]  (through a link named after the tool)
               \(name) --list | --version | --help

        tools: \(Registry.tools.map { $0.toolName }.joined(separator: " "))

        """
    }

    private static func start<T: BPFTool>(_ tool: T.Type, _ arguments: [String]) -> Never {
        ToolMain.run(tool, arguments: arguments)
    }
}
