import PackagePlugin
import Foundation

/// Compiles `bpf-src/<target>.bpf.c` into a CO-RE BPF object and embeds it into the tool's
/// binary as a generated Swift source file, so a built binary needs no object file at run time.
///
/// Only the generated Swift file is declared as an output: declaring the intermediate `.o`
/// makes SwiftPM treat it as a resource and copy it beside the binary.
@main
struct BPFEmbedPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let packageDir = context.package.directoryURL
        let bpfDir = packageDir.appending(path: "bpf-src")
        let eventsDir = packageDir.appending(path: "Sources/BPFEvents/include")
        let source = bpfDir.appending(path: "\(target.name).bpf.c")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedBPF_\(target.name).swift")
        let work = context.pluginWorkDirectoryURL.appending(path: "\(target.name).bpf.o")

        // Every header either side includes is an input, so editing one rebuilds the object.
        var inputs = [source]
        for dir in [bpfDir, eventsDir] {
            inputs += headers(in: dir)
        }

        return [
            .buildCommand(
                displayName: "Compiling BPF program \(target.name).bpf.c",
                executable: try context.tool(named: "bpf-embed").url,
                arguments: [
                    "--clang", try context.tool(named: "clang").url.path(),
                    "--objcopy", try context.tool(named: "llvm-objcopy").url.path(),
                    "--source", source.path(),
                    "--include", bpfDir.path(),
                    "--include", eventsDir.path(),
                    "--object", work.path(),
                    "--output", output.path(),
                ],
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }

    private func headers(in dir: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { $0.pathExtension == "h" }
    }
}
