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
        // ETSI GS QKD 014 key delivery: the reference KME (HTTP/TLS), its client and the test PKI.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
    ],
    targets: [
        // Pure layers: no I/O, easy to test, fuzz and benchmark.
        .target(name: "QKDMath"),
        .target(name: "QuantumChannel", dependencies: ["QKDMath"]),
        .target(name: "Reports"),
        // C kernel: carry-less (GF(2)[x]) products for Toeplitz hashing, PCLMULQDQ with a portable fallback.
        .target(name: "CCarryless"),
        // C kernel: Cascade's permuted copies of a key, by AVX2 / AVX-512 gathers with a portable fallback.
        .target(name: "CBitPermutation"),
        // C: fork/exec of the harness's children in a clean state (own process group, default
        // signals, none blocked, PR_SET_PDEATHSIG), which Foundation's Process does not give.
        .target(name: "CSpawn"),
        // SHA-256 (key fingerprints and key IDs) comes from swift-crypto.
        .target(
            name: "PostProcessing",
            dependencies: ["QKDMath", "CCarryless", "CBitPermutation", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // The reference control-channel protocol: frames, messages, strict decoder. Pure.
        .target(name: "Wire"),
        // libpcap (Debian's libpcap-dev): reads pcap/pcapng, writes classic pcap.
        .systemLibrary(name: "CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Captures: pcap reading and writing through libpcap, TCP reassembly, decoding and the offline audit.
        .target(name: "Capture", dependencies: ["CPcap", "Wire", "PostProcessing", "QKDMath", "TargetFiles"]),
        // The reference QKD node: PostProcessing over Wire on real TCP (SwiftNIO), with bug knobs.
        .target(
            name: "Node",
            dependencies: [
                "Wire", "PostProcessing", "QKDMath", "Capture",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // ETSI GS QKD 014 data formats (clause 6): strict parsing and validation, pure (no HTTP, no
        // TLS), so the KME, the client and a fuzz target share them.
        .target(name: "ETSI014Models", dependencies: ["Vectors"]),
        // ETSI GS QKD 014 key delivery: the models (re-exported), the reference KME pair (Hummingbird over TLS), the
        // mutual-TLS client and the test PKI.
        .target(
            name: "KeyDelivery",
            dependencies: [
                "PostProcessing", "QKDMath", "Vectors", "ETSI014Models", "TargetFiles",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The files a stack under test and the harness exchange: the target file and a node's key
        // output. Foundation only, so a fuzz target can parse them without the harness's network stack.
        .target(name: "TargetFiles", dependencies: ["PostProcessing", "Wire"]),
        // The conformance harness: the catalogue, targets (process, in-process, KME), the proxy,
        // the runner and its reports. Only Harness/Reference/ imports Node.
        .target(
            name: "Harness",
            dependencies: ["QuantumChannel", "Wire", "Node", "PostProcessing", "QKDMath", "Capture", "Reports", "Vectors", "CSpawn",
                           "KeyDelivery", "TargetFiles",
                           .product(name: "Crypto", package: "swift-crypto"),
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
                "KeyDelivery",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // libFuzzer targets (Fuzz/run.sh builds them with -sanitize=fuzzer,address; a plain build
        // makes do-nothing programs).
        // What the fuzz targets check, in libraries so that a test replays a finding through
        // exactly the fuzzer's code (Tests/FuzzChecksTests). Three, by what they link: libFuzzer
        // scans every instrumented module's coverage counters after each execution, so the frame
        // target links Wire alone.
        .target(name: "WireFuzzChecks", dependencies: ["Wire", "CFuzzerSupport"]),
        .target(name: "CaptureFuzzChecks", dependencies: ["Capture", "Wire", "CFuzzerSupport", "TargetFiles"]),
        .target(name: "FormatFuzzChecks", dependencies: ["ETSI014Models", "TargetFiles", "PostProcessing"]),
        // C: libFuzzer's LLVMFuzzerMutate, declared weak so that a plain build links without libFuzzer.
        .target(name: "CFuzzerSupport"),
        .executableTarget(name: "FrameDecoderFuzzer", dependencies: ["WireFuzzChecks"], path: "Fuzz/FrameDecoderFuzzer"),
        .executableTarget(name: "FrameRoundTripFuzzer", dependencies: ["WireFuzzChecks"], path: "Fuzz/FrameRoundTripFuzzer"),
        .executableTarget(name: "QuantumLayerFuzzer", dependencies: ["Wire"], path: "Fuzz/QuantumLayerFuzzer"),
        .executableTarget(name: "VectorFileFuzzer", dependencies: ["Vectors"], path: "Fuzz/VectorFileFuzzer"),
        .executableTarget(name: "ShimAnswerFuzzer", dependencies: ["Vectors"], path: "Fuzz/ShimAnswerFuzzer"),
        .executableTarget(name: "CapturePcapFuzzer", dependencies: ["CaptureFuzzChecks"], path: "Fuzz/CapturePcapFuzzer"),
        .executableTarget(name: "StreamReassemblerFuzzer", dependencies: ["CaptureFuzzChecks"], path: "Fuzz/StreamReassemblerFuzzer"),
        .executableTarget(name: "ETSI014ModelsFuzzer", dependencies: ["FormatFuzzChecks"], path: "Fuzz/ETSI014ModelsFuzzer"),
        .executableTarget(name: "TargetFileFuzzer", dependencies: ["FormatFuzzChecks"], path: "Fuzz/TargetFileFuzzer"),
        .executableTarget(name: "KeyOutputFuzzer", dependencies: ["FormatFuzzChecks"], path: "Fuzz/KeyOutputFuzzer"),
        // The same-run baseline of every fuzz rate: a target that does nothing (Fuzz/run.sh).
        .executableTarget(name: "FuzzFloor", path: "Fuzz/FuzzFloor"),
        .testTarget(name: "QKDMathTests", dependencies: ["QKDMath"]),
        .testTarget(name: "QuantumChannelTests", dependencies: ["QuantumChannel", "QKDMath"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "PostProcessingTests", dependencies: ["PostProcessing", "CCarryless", "CBitPermutation", "QKDMath"]),
        .testTarget(name: "VectorsTests", dependencies: ["Vectors", "PostProcessing"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "QKDMath"]),
        // Replays Fuzz/regressions/ and the seed corpora of the targets whose checks live in *FuzzChecks.
        .testTarget(name: "FuzzChecksTests", dependencies: ["WireFuzzChecks", "CaptureFuzzChecks", "FormatFuzzChecks", "Wire",
                                                        "TargetFiles"]),
        .testTarget(name: "NodeTests", dependencies: ["Node", "Wire", "PostProcessing", "QuantumChannel"]),
        // Depends on the executable so that it is built: the robustness cases start node processes.
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "Node", "Vectors", "qkdspec",
                                                 .product(name: "NIOCore", package: "swift-nio"),
                                                 .product(name: "NIOPosix", package: "swift-nio")]),
        // Runs the built executable end to end, as a user would.
        .testTarget(name: "qkdspecTests", dependencies: ["qkdspec"]),
        // Real TLS servers on 127.0.0.1: the reference KME pair, the client, the PKI, the suite.
        .testTarget(name: "KeyDeliveryTests", dependencies: ["KeyDelivery", "Harness", "Node", "PostProcessing", "Vectors",
                                                            .product(name: "X509", package: "swift-certificates")]),
        // Reads every file in captures/ (manifest.json) and tests reassembly edge by edge.
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Wire", "PostProcessing", "TargetFiles"]),
        // Replays captures/ recordings to reference node processes (depends on the executable so that it is built).
        .testTarget(name: "ReplayTests", dependencies: ["Harness", "Capture", "Wire", "Node", "QuantumChannel", "qkdspec"]),
    ]
)
