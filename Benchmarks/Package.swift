// swift-tools-version:6.1
// Micro-benchmarks (package-benchmark). A package of its own, so the main build and CI do not
// pay for the benchmark framework. Run: cd Benchmarks && swift package benchmark
import PackageDescription

let package = Package(
    name: "qkdspec-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "qkdspec", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SimulatorBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "QKDMath", package: "qkdspec"),
                .product(name: "QuantumChannel", package: "qkdspec"),
                .product(name: "PostProcessing", package: "qkdspec"),
            ],
            path: "Benchmarks/SimulatorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
