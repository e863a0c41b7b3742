// swift-tools-version:6.0
import PackageDescription

// Dependency arrows point one way:
// CYAML ← VerdictYAML ─┐
//            VerdictJSON ─┼─ VerdictEngine ← VerdictCLI (product `verdict`)
//                    CEL ─┘
let package = Package(
    name: "verdict",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "verdict", targets: ["VerdictCLI"]),
        .library(name: "VerdictEngine", targets: ["VerdictEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // libyaml, the only C boundary. Only VerdictYAML imports it.
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // YAML documents as Swift nodes that keep their file, line and column.
        .target(name: "VerdictYAML", dependencies: ["CYAML"]),
        // Strict, bounded JSON reading and fast JSON writing for ticket lines.
        .target(name: "VerdictJSON"),
        // Common Expression Language: lexer, parser, checker, planner, values, calendar.
        .target(name: "CEL"),
        // Policy model, loader, compiler, rule graph, evaluator, explanations.
        .target(name: "VerdictEngine", dependencies: ["VerdictYAML", "VerdictJSON", "CEL"]),
        // The thin command line: one file per command.
        .executableTarget(
            name: "VerdictCLI",
            dependencies: [
                "VerdictEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "VerdictYAMLTests", dependencies: ["VerdictYAML"]),
        .testTarget(name: "VerdictJSONTests", dependencies: ["VerdictJSON"]),
        .testTarget(name: "CELTests", dependencies: ["CEL"]),
        .testTarget(name: "VerdictEngineTests", dependencies: ["VerdictEngine", "CEL", "VerdictJSON", "VerdictYAML"]),
        .testTarget(name: "VerdictCLITests", dependencies: ["VerdictCLI"]),
    ]
)
