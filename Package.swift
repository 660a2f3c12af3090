// swift-tools-version:6.1
// qkdspec: a conformance and fuzzing harness for QKD stacks.
import PackageDescription

let package = Package(
    name: "qkdspec",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "qkdspec", targets: ["qkdspec"]),
        .library(name: "QKDMath", targets: ["QKDMath"]),
        .library(name: "QuantumChannel", targets: ["QuantumChannel"]),
        .library(name: "PostProcessing", targets: ["PostProcessing"]),
        .library(name: "Wire", targets: ["Wire"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // Pure layers: no I/O, easy to test, fuzz and benchmark.
        .target(name: "QKDMath"),
        .target(name: "QuantumChannel", dependencies: ["QKDMath"]),
        .target(name: "Reports"),
        // C kernel: carry-less (GF(2)[x]) products for Toeplitz hashing, PCLMULQDQ with a portable fallback.
        .target(name: "CCarryless"),
        .target(name: "PostProcessing", dependencies: ["QKDMath", "CCarryless"]),
        // The reference control-channel protocol: frames, messages, strict decoder. Pure.
        .target(name: "Wire"),
        // libpcap (Debian's libpcap-dev): reads pcap/pcapng, writes classic pcap.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Captures: pcap writing through libpcap and TCP stream synthesis.
        .target(name: "Capture", dependencies: ["CPcap"]),
        // The reference QKD node: PostProcessing over Wire on real TCP (SwiftNIO), with bug knobs.
        .target(
            name: "Node",
            dependencies: [
                "Wire", "PostProcessing", "QKDMath", "Capture",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The conformance harness (growing): feeding simulated records to nodes.
        .target(
            name: "Harness",
            dependencies: ["QuantumChannel", "Wire", "Node", "PostProcessing", "QKDMath", "Capture", "Reports", "Vectors",
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")]
        ),
        // Known-answer vectors: lint (schema, tcIds, counts) and verify against the reference.
        .target(name: "Vectors", dependencies: ["PostProcessing", "QKDMath"]),
        // The command-line tool stays thin: parsing, wiring and printing.
        .executableTarget(
            name: "qkdspec",
            dependencies: [
                "QKDMath", "QuantumChannel", "PostProcessing", "Vectors", "Wire", "Node", "Harness", "Reports",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer targets (Fuzz/run.sh builds them with -sanitize=fuzzer,address; a plain build
        // makes do-nothing programs).
        .executableTarget(name: "FrameDecoderFuzzer", dependencies: ["Wire"], path: "Fuzz/FrameDecoderFuzzer"),
        .executableTarget(name: "QuantumLayerFuzzer", dependencies: ["Wire"], path: "Fuzz/QuantumLayerFuzzer"),
        .testTarget(name: "QKDMathTests", dependencies: ["QKDMath"]),
        .testTarget(name: "QuantumChannelTests", dependencies: ["QuantumChannel", "QKDMath"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "PostProcessingTests", dependencies: ["PostProcessing", "CCarryless", "QKDMath"]),
        .testTarget(name: "VectorsTests", dependencies: ["Vectors", "PostProcessing"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "QKDMath"]),
        .testTarget(name: "NodeTests", dependencies: ["Node", "Wire", "PostProcessing", "QuantumChannel"]),
        // Depends on the executable so that it is built: the robustness cases start node processes.
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Node", "Vectors", "qkdspec",
                                                 .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOPosix", package: "swift-nio")]),
        // Runs the built executable end to end, as a user would.
        .testTarget(name: "qkdspecTests", dependencies: ["qkdspec"]),
    ]
)
