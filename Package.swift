// swift-tools-version:6.0
import PackageDescription

// Dependency arrows point one way (docs/architecture.md draws the picture):
//
//   CYAML ← VerdictYAML ← VerdictDecode ←──────────────┐
//   CVerdictSupport ← VerdictThreads, VerdictCompiler, VerdictCLI
//   VerdictThreads ← VerdictYAML, VerdictModel         │
//   CEL ← VerdictModel ← VerdictDecode                 │
//         VerdictModel, VerdictJSON ← VerdictRuntime ← VerdictCompiler ← VerdictOutput ← VerdictCLI
//   VerdictJSON ← VerdictJSONWriter ← VerdictCompiler, VerdictOutput
//
// The runtime (compiled policies, input binding, router, evaluation, tracing)
// imports neither YAML nor the JSON writer: a server, a test runner or a
// replay can evaluate without either.
// The per-ticket path (reading, evaluating, writing) runs without the
// run-time exclusivity checks in release builds: they cost about an eighth of
// the instructions of an `--explain` run. The compiler still proves exclusive
// access statically; debug builds (and the tests) keep the run-time checks.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "verdict",
    platforms: [.macOS(.v14)],  // macOS 14: Hummingbird 2 needs it (the server)
    products: [
        .executable(name: "verdict", targets: ["VerdictCLI"]),
        // The HTTP server (`verdict serve` runs it): a product of its own, so
        // that building and starting `verdict` never pays for Hummingbird.
        .executable(name: "verdict-server", targets: ["VerdictServerMain"]),
        .library(name: "VerdictRuntime", targets: ["VerdictRuntime"]),
        .library(name: "VerdictCompiler", targets: ["VerdictCompiler"]),
        .library(name: "VerdictOutput", targets: ["VerdictOutput"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only the server (VerdictServer, verdict-server) uses these.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // libyaml, the only C boundary. Only VerdictYAML imports it.
        .systemLibrary(
            name: "CYAML",
            path: "Sources/CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]
        ),
        // The little C there is: glibc's allocator settings (`mallopt`, which
        // Swift's Glibc module does not export), the processors a process may
        // use (`sched_getaffinity`, likewise) and SHA-256 with the x86 SHA instructions.
        // DWARF 4: valgrind 3.19 (bench/README's instruction counts) cannot read clang's DWARF 5.
        .target(name: "CVerdictSupport", cSettings: [.unsafeFlags(["-gdwarf-4"])]),
        // Threads with a stack of a known size (every stage that recurses on input runs on one).
        .target(name: "VerdictThreads", dependencies: ["CVerdictSupport"]),
        // YAML documents as Swift nodes that keep their file, line and column.
        .target(name: "VerdictYAML", dependencies: ["CYAML", "VerdictThreads"]),
        // Strict, bounded JSON reading of untrusted ticket lines.
        .target(name: "VerdictJSON", swiftSettings: hotPath),
        // Fast JSON writing: answers, explanations, canonical encodings.
        .target(name: "VerdictJSONWriter", dependencies: ["VerdictJSON"], swiftSettings: hotPath),
        // Common Expression Language: lexer, parser, checker, planner, values, calendar.
        .target(name: "CEL", swiftSettings: hotPath),
        // The policy model, format-neutral: files as written (with positions),
        // the position-free snapshot of a resolved policy, its source map, diagnostics.
        .target(name: "VerdictModel", dependencies: ["CEL", "VerdictThreads"]),
        // YAML nodes → the policy model (unknown keys, shapes, positions).
        .target(name: "VerdictDecode", dependencies: ["VerdictModel", "VerdictYAML", "CEL"]),
        // Compiled policies, input binding, the router, evaluation and tracing.
        .target(name: "VerdictRuntime", dependencies: ["CEL", "VerdictJSON", "VerdictModel"], swiftSettings: hotPath),
        // Loading: read → parse → decode → resolve `extends` → compile → snapshot and digest.
        .target(
            name: "VerdictCompiler",
            dependencies: [
                "VerdictModel", "VerdictDecode", "VerdictRuntime", "VerdictYAML", "VerdictJSONWriter", "CEL",
                "CVerdictSupport",
            ]
        ),
        // Answer lines, explanations, diagnostics rendering, line framing and streaming.
        .target(
            name: "VerdictOutput",
            dependencies: ["VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictJSON", "VerdictJSONWriter", "CEL"],
            swiftSettings: hotPath
        ),
        // Auditors' tools: semantic diff of two policy versions, replay of tickets through both.
        .target(
            name: "VerdictDiff",
            dependencies: [
                "VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictOutput", "VerdictJSON", "VerdictJSONWriter",
                "VerdictAudit", "CEL",
            ]
        ),
        // Owners' tools: test files run against the policies, coverage.
        .target(
            name: "VerdictTestRunner",
            dependencies: [
                "VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictDecode", "VerdictOutput", "VerdictJSON",
                "VerdictJSONWriter", "CEL",
            ]
        ),
        // Witnesses and equivalence: concrete tickets on which two policies
        // answer differently, and proofs that they answer alike on every class.
        .target(name: "VerdictAudit", dependencies: ["VerdictRuntime", "VerdictModel", "CEL", "VerdictJSON"]),
        // The thin command line: one file per command.
        .executableTarget(
            name: "VerdictCLI",
            dependencies: [
                "VerdictOutput", "VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictDiff", "VerdictTestRunner",
                "VerdictAudit", "CEL", "CVerdictSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // A release build on Linux is a static executable: no dynamic
            // loader, no libraries to find and relocate at start (a one-ticket
            // `eval` took 30 % less time), and it runs on any Linux machine.
            linkerSettings: [.unsafeFlags(["-static-executable"], .when(platforms: [.linux], configuration: .release))]
        ),
        // `verdict serve`: the same answers over HTTP (Hummingbird 2), policies
        // reloaded in the background and swapped in whole; metrics, logs.
        .target(
            name: "VerdictServer",
            dependencies: [
                "VerdictOutput", "VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictJSON", "VerdictJSONWriter",
                "CEL",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .executableTarget(
            name: "VerdictServerMain",
            dependencies: ["VerdictServer", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "VerdictServerTests", dependencies: ["VerdictServer", "VerdictServerMain", "VerdictYAML"]),
        // What the fuzzers exercise (Fuzz/run.sh), one function per target; the tests replay its corpora.
        .target(
            name: "VerdictFuzzing",
            dependencies: [
                "CEL", "VerdictCompiler", "VerdictDecode", "VerdictDiff", "VerdictJSON", "VerdictJSONWriter",
                "VerdictModel", "VerdictOutput", "VerdictRuntime", "VerdictYAML",
            ]),
        // The libFuzzer driver (built with -sanitize=fuzzer -DFUZZING), or a replayer of inputs.
        .executableTarget(name: "verdict-fuzz", dependencies: ["VerdictFuzzing", "VerdictJSON"], path: "Sources/VerdictFuzz"),
        .testTarget(name: "VerdictYAMLTests", dependencies: ["VerdictYAML"]),
        .testTarget(name: "VerdictJSONTests", dependencies: ["VerdictJSON", "VerdictJSONWriter"]),
        .testTarget(name: "CELTests", dependencies: ["CEL"]),
        .testTarget(
            name: "VerdictEngineTests",
            dependencies: [
                "VerdictOutput", "VerdictCompiler", "VerdictRuntime", "VerdictModel", "VerdictDecode", "CEL",
                "VerdictJSON", "VerdictJSONWriter", "VerdictYAML", "VerdictDiff", "VerdictTestRunner", "VerdictFuzzing",
            ]),
        .testTarget(name: "VerdictCLITests", dependencies: ["VerdictCLI"]),
        .testTarget(name: "VerdictAuditTests", dependencies: ["VerdictAudit", "VerdictCompiler"]),
    ]
)
