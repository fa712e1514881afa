// swift-tools-version: 6.0
import PackageDescription

/// The tools this package ships. tools.json is the manifest that tests and docs read;
/// a test checks that this list and tools.json name the same tools.
let tools = ["execsnoop", "opensnoop", "biolatency", "profile", "tcpconnect", "tcplife", "tcpretrans"]

let package = Package(
    name: "swift-bpf-tools",
    products: tools.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libbpf, libelf and zlib from Debian's -dev packages, plus a few C shims.
        .systemLibrary(name: "CLibbpf", pkgConfig: "libbpf",
                       providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]),
        // Event and config structs shared by the BPF programs and Swift (one header per tool).
        .target(name: "BPFEvents", path: "Sources/BPFEvents"),
        // The loader core every tool uses: object, config, attach plans, ring buffers,
        // maps, signals, preflight checks, column output, JSON.
        .target(
            name: "LoaderCore",
            dependencies: ["CLibbpf", "BPFEvents",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        // Host tool run by the build plugin: compiles bpf-src/<tool>.bpf.c and embeds it.
        .executableTarget(name: "bpf-embed", path: "Sources/bpf-embed"),
        .plugin(name: "BPFEmbedPlugin", capability: .buildTool(),
                dependencies: ["bpf-embed"]),
        .testTarget(name: "LoaderCoreTests", dependencies: ["LoaderCore", "BPFEvents"]),
        // Tools' options, columns and probe plans against tools.json and their BPF objects.
        .testTarget(name: "ToolTests", dependencies: ["LoaderCore", "BPFEvents", "CLibbpf"] + tools.map { .target(name: $0) }),
        // The built binaries run as root against workloads the tests make.
        .testTarget(name: "IntegrationTests", dependencies: tools.map { .target(name: $0) }),
    ] + tools.map { tool in
        .executableTarget(
            name: tool,
            dependencies: ["LoaderCore", "BPFEvents",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            plugins: ["BPFEmbedPlugin"])
    },
    swiftLanguageModes: [.v6]
)
