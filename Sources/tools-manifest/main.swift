import Glibc
import LoaderCore
import ToolRegistry

// Prints tools.json, generated from the registry: `swift run tools-manifest > tools.json`.
// With --names, prints the tools' names, one per line (for shell scripts).
if CommandLine.arguments.dropFirst().first == "--names" {
    for tool in Registry.tools { print(tool.toolName) }
    exit(0)
}
do {
    print(ToolManifest.pretty(try ToolManifest.document(Registry.tools)))
} catch {
    Diagnostics.line("tools-manifest: \(error)")
    exit(1)
}
