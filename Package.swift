// swift-tools-version: 6.0
import PackageDescription

/// The tools this package ships, one line each (with its type in Sources/ToolRegistry). Each
/// is a library target in Sources/<tool> (options, BPF object, columns) and an executable
/// target in Sources/<tool>/main (a few lines calling ToolMain); the product is the tool.
let tools = [
    "execsnoop",
    "opensnoop",
    "biolatency",
    "profile",
    "tcpconnect",
    "tcplife",
    "tcpretrans",
    "tcpstates",
    "biosnoop",
    "runqlat",
    "killsnoop",
    "exitsnoop",
    "mountsnoop",
    "oomkill",
    "syscount",
    "offcputime",
    "dbslower",
    "dbstat",
]

/// The tools that unwind user stacks with CFI (and so link libdw).
let unwinding: Set<String> = ["profile"]

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

/// Each function in a section of its own, so that the linker can place it (swiftc puts a file's
/// functions in one .text section unless told).
let functionSections: [SwiftSetting] = [.unsafeFlags(["-Xfrontend", "-function-sections"])]

/// The tools' binaries are linked by lld with the code a running tool executes first and
/// together (scripts/hot-symbols.order, made by scripts/hot-symbols.sh): once start-up's pages
/// are dropped (MemoryTrim), that code faults back in as a few 64 KiB windows instead of one
/// per function spread over 10 MB of text. A symbol the order names but the binary lacks is
/// skipped without a word.
let hotCodeFirst: [LinkerSetting] = [.unsafeFlags([
    "-use-ld=lld",
    "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/scripts/hot-symbols.order",
    "-Xlinker", "--no-warn-symbol-ordering",
])]

let package = Package(
    name: "swift-bpf-tools",
    // Each tool, and every tool in one multi-call binary (what scripts/install.sh installs).
    products: tools.map { .executable(name: $0, targets: ["\($0)-main"]) }
        + [.executable(name: "swift-bpf-tools", targets: ["swift-bpf-tools"])],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libbpf, libelf and zlib from Debian's -dev packages, plus a few C shims.
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]),
        // elfutils' libdwfl (libdw-dev) with what its static archive needs: CFI unwinding.
        .systemLibrary(name: "CLibdw", providers: [.apt(["libdw-dev", "libelf-dev", "zlib1g-dev", "liblzma-dev", "libbz2-dev"])]),
        // User stacks unwound in user space with the binaries' CFI (profile's --unwind), apart
        // from LoaderCore so that only the tools that unwind link libdw.
        .target(name: "StackUnwind", dependencies: ["CLibdw", "LoaderCore"], swiftSettings: functionSections),
        // Event and config structs shared by the BPF programs and Swift (one header per tool).
        .target(name: "BPFEvents", path: "Sources/BPFEvents"),
        // The loader core every tool uses: the tool protocol and its default run, object, config,
        // attach plans, ring buffers, maps, signals, preflight checks, column output, JSON.
        .target(name: "LoaderCore", dependencies: ["CLibbpf", "BPFEvents", argumentParser],
                swiftSettings: functionSections, plugins: ["BuildInfoPlugin", "SyscallTablePlugin"]),
        // Writes the git commit into LoaderCore for --version.
        .plugin(name: "BuildInfoPlugin", capability: .buildTool()),
        // Writes the system call names of the build machine's architecture into LoaderCore.
        .plugin(name: "SyscallTablePlugin", capability: .buildTool()),
        // Host tool run by the build plugin: compiles bpf-src/<tool>.bpf.c and embeds it.
        .executableTarget(name: "bpf-embed", path: "Sources/bpf-embed"),
        .plugin(name: "BPFEmbedPlugin", capability: .buildTool(), dependencies: ["bpf-embed"]),
        // Every tool as a value: what tools.json, the tests and the scripts are generated from.
        .target(name: "ToolRegistry", dependencies: ["LoaderCore"] + tools.map { .target(name: $0) },
                swiftSettings: functionSections),
        // Every tool in one binary, chosen by argv[0] or the first argument.
        .executableTarget(name: "swift-bpf-tools", dependencies: ["ToolRegistry"], linkerSettings: hotCodeFirst),
        // Writes tools.json from the registry (swift run tools-manifest > tools.json).
        .executableTarget(name: "tools-manifest", dependencies: ["ToolRegistry", "LoaderCore"]),
        .testTarget(name: "LoaderCoreTests", dependencies: ["LoaderCore", "BPFEvents"]),
        // Tools' options, columns, golden rows and probe plans, against their BPF objects.
        // Fixtures: C sources the tests compile themselves (a BPF object, a traced program).
        .testTarget(name: "ToolTests", dependencies: ["LoaderCore", "BPFEvents", "CLibbpf", "ToolRegistry"]
                    + tools.map { .target(name: $0) }, exclude: ["Fixtures", "Golden"]),
        // The built binaries run as root against workloads the tests make.
        .testTarget(name: "IntegrationTests", dependencies: tools.map { .target(name: "\($0)-main") } + ["swift-bpf-tools"]),
    ] + tools.flatMap { tool -> [Target] in [
        .target(name: tool, dependencies: ["LoaderCore", "BPFEvents", argumentParser] + (unwinding.contains(tool) ? ["StackUnwind"] : []),
                path: "Sources/\(tool)", exclude: ["main", "matrix"], swiftSettings: functionSections, plugins: ["BPFEmbedPlugin"]),
        .executableTarget(name: "\(tool)-main", dependencies: ["LoaderCore", .target(name: tool)],
                          path: "Sources/\(tool)/main", linkerSettings: hotCodeFirst),
    ] },
    swiftLanguageModes: [.v6]
)
