import CaptureFuzzChecks
import FormatFuzzChecks
import Foundation
import Testing
import Wire
import WireFuzzChecks

/// Replays every kept finding (Fuzz/regressions/TARGET/) and every seed (Fuzz/corpus/TARGET/)
/// of the targets whose checks live in the *FuzzChecks modules through exactly the code the fuzz target runs:
/// a finding, once fixed, stays fixed, and a seed the checks reject is caught before a fuzz run.
@Suite("Fuzz input replay")
struct FuzzInputReplayTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ kind: String, _ target: String) -> [URL] {
        let dir = fuzz.appendingPathComponent(kind).appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    static let targets = ["CapturePcapFuzzer", "ETSI014ModelsFuzzer", "FrameDecoderFuzzer", "FrameRoundTripFuzzer", "KeyOutputFuzzer",
                          "StreamReassemblerFuzzer", "TargetFileFuzzer"]

    /// The code each fuzz target's entry point runs.
    static func check(_ target: String, _ bytes: [UInt8]) {
        switch target {
        case "FrameDecoderFuzzer": FrameDecoding.decode(bytes)
        case "FrameRoundTripFuzzer": FrameRoundTrip.check(bytes)
        case "CapturePcapFuzzer": bytes.withUnsafeBufferPointer { CapturePcapCheck.check($0) }
        case "StreamReassemblerFuzzer": StreamReassemblyCheck.check(bytes)
        case "ETSI014ModelsFuzzer": ETSI014ModelsCheck.check(bytes)
        case "TargetFileFuzzer": TargetFileCheck.check(bytes)
        case "KeyOutputFuzzer": KeyOutputCheck.check(bytes)
        default: Issue.record("no check for \(target)")
        }
    }

    static let all: [(String, URL)] = targets.flatMap { target in
        (inputs("regressions", target) + inputs("corpus", target)).map { (target, $0) }
    }

    @Test("every kept finding and seed replays through its target's checks without a trap", arguments: all)
    func replay(_ target: String, _ input: URL) throws {
        Self.check(target, Array(try Data(contentsOf: input)))
    }

    @Test("every target has seeds")
    func seeded() {
        for target in Self.targets { #expect(Self.inputs("corpus", target).count >= 5, "\(target) has too few seeds") }
    }
}
