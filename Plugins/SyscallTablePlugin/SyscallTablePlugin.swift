import Foundation
import PackagePlugin

/// Writes the system call names of the build machine's architecture into LoaderCore
/// (`builtinSyscallTable`), from the kernel's UAPI headers (<asm/unistd.h>, linux-libc-dev)
/// through the C preprocessor: not a table copied by hand. One "NUMBER NAME" per line.
@main
struct SyscallTablePlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let output = context.pluginWorkDirectoryURL.appending(path: "SyscallTable.swift")
        let script = #"""
            set -e
            table=$(echo '#include <asm/unistd.h>' | "$1" -E -dM -x c - \
                | sed -n 's/^#define __NR_\([a-z0-9_]*\) \([0-9][0-9]*\)$/\2 \1/p' | sort -n)
            [ -n "$table" ] || { echo "SyscallTablePlugin: no __NR_ names in <asm/unistd.h>" >&2; exit 1; }
            {
                printf '/// Generated at build time from <asm/unistd.h>. Do not edit.\n'
                printf 'let builtinSyscallTable = """\n%s\n"""\n' "$table"
            } > "$2"
            """#
        return [
            .buildCommand(
                displayName: "Generating the system call table",
                executable: URL(fileURLWithPath: "/bin/sh"),
                arguments: ["-c", script, "sh", try context.tool(named: "clang").url.path(), output.path()],
                inputFiles: [],
                outputFiles: [output])
        ]
    }
}
