import Foundation
import Node
import Testing
@testable import Harness

@Suite("Conformance engine", .serialized)
struct HarnessTests {
    /// The built qkdspec executable (the robustness cases start node processes from it).
    static var executable: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("qkdspec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/qkdspec"
    }

    func runner(bugs: Set<BugKnob> = [], include: [String] = []) -> Runner {
        var target = ReferenceTarget(bugs: bugs)
        target.executable = Self.executable
        return Runner(target: target, targetName: "reference", profile: .quick, include: include, exclude: [], seed: 11, version: "test")
    }

    @Test("the clean reference stack passes every MUST case of the catalogue")
    func cleanReferencePasses() async throws {
        let r = runner()
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(report.results.count == Catalogue.all.count)
        for result in report.results { #expect(result.verdict == .pass, "\(result.id): \(result.detail)") }
        #expect(report.exitCode == 0)
    }

    /// Which cases must catch each knob (the kill matrix's diagonal; docs/kill-matrix.md has all of it).
    static let catchers: [BugKnob: [String]] = [
        .ignoreQBERThreshold: ["bb84/abort/qber-above-threshold/intercept-resend"],
        .skipVerification: ["bb84/discard/verification-mismatch-not-delivered"],
        .ignoreAuthTag: ["auth/tampered-tag-aborts"],
        .overclaimKeyLength: ["bb84/keys/length-within-finite-key-bound"],
        .uncountedLeakage: ["bb84/keys/length-within-finite-key-bound"],
        .deliverAbortedBlock: ["bb84/discard/aborted-frame-not-delivered"],
        .reuseKeyID: ["keys/unique-key-ids"],
        .acceptReplayedFrame: ["auth/replayed-frame-rejected"],
        .crashOnOversizedFrame: ["robustness/oversized-frame"],
        .hangOnTruncatedFrame: ["robustness/truncated-frame"],
    ]

    @Test("every bug knob is caught by at least one MUST case", arguments: BugKnob.allCases)
    func knobCaught(knob: BugKnob) async throws {
        let ids = try #require(Self.catchers[knob])
        let r = runner(bugs: [knob], include: ids)
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(report.results.count == ids.count)
        let caught = report.results.filter { $0.level == .must && $0.verdict.failsRun }
        #expect(!caught.isEmpty, "\(knob.rawValue) escaped: \(report.results.map { "\($0.id) \($0.verdict)" })")
        #expect(report.exitCode == 1)
    }

    @Test("globs select by ID; seeds are stable per case and independent of the selection")
    func selection() {
        #expect(Glob.matches("bb84/abort/*", "bb84/abort/qber-above-threshold/noise"))
        #expect(Glob.matches("*/unique-*", "keys/unique-key-ids"))
        #expect(!Glob.matches("auth/*", "bb84/keys/agreement"))
        #expect(Glob.matches("robustness/?runcated-frame", "robustness/truncated-frame"))
        let a = runner(include: ["auth/*"]), b = runner()
        #expect(a.selection().map(\.id) == ["auth/tampered-payload-aborts", "auth/tampered-tag-aborts", "auth/replayed-frame-rejected"])
        #expect(a.seed(for: "auth/tampered-tag-aborts") == b.seed(for: "auth/tampered-tag-aborts"))
        #expect(a.seed(for: "auth/tampered-tag-aborts") != a.seed(for: "auth/replayed-frame-rejected"))
        #expect(Set(Catalogue.all.map(\.id)).count == Catalogue.all.count, "case IDs are unique")
    }
}
