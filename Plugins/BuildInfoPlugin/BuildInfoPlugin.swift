import Foundation
import PackagePlugin

/// Writes the git commit the package is built from into LoaderCore (`buildCommit`), for
/// `--version`. Outside a git checkout (a source tarball) the commit is empty. The command runs
/// again when HEAD moves (a commit, a checkout): .git/HEAD and .git/logs/HEAD are its inputs.
@main
struct BuildInfoPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let packageDir = context.package.directoryURL
        let output = context.pluginWorkDirectoryURL.appending(path: "BuildCommit.swift")
        let git = packageDir.appending(path: ".git")
        let inputs = ["HEAD", "logs/HEAD", "packed-refs"].map { git.appending(path: $0) }
            .filter { FileManager.default.fileExists(atPath: $0.path()) }
        let script = #"""
            commit=$(git -C "$1" rev-parse --short=12 HEAD 2>/dev/null || true)
            printf '/// The git commit this binary was built from ("" outside a checkout).\nlet buildCommit = "%s"\n' "$commit" > "$2"
            """#
        return [
            .buildCommand(
                displayName: "Recording the git commit",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", packageDir.path(), output.path()],
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
