import Foundation
import Node
import Testing
@testable import Harness

/// The built qkdspec executable (node processes start from it).
enum QKDSpecExecutable {
    static var path: String {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("qkdspec").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/qkdspec"
    }

    /// The repository root (for examples/).
    static var repository: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}

@Suite("Conformance engine", .serialized)
struct HarnessTests {
    func runner(bugs: Set<BugKnob> = [], include: [String] = [], profile: Profile = .quick) -> Runner {
        var target = InProcessTarget(bugs: bugs)
        target.executable = QKDSpecExecutable.path
        var r = Runner(target: target, profile: profile, include: include, exclude: [], seed: 11, version: "test")
        r.vectorsDirectory = QKDSpecExecutable.repository.appendingPathComponent("vectors").path
        r.capturesDirectory = QKDSpecExecutable.repository.appendingPathComponent("captures").path
        return r
    }

    @Test("the clean reference stack passes every MUST case of the full profile (in process)")
    func cleanReferencePasses() async throws {
        let r = runner(profile: .full)
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(report.results.count == Catalogue.all.filter { $0.profiles.contains(.full) }.count)
        for result in report.results where result.level == .must { #expect(result.verdict == .pass, "\(result.id): \(result.detail)") }
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
        .reuseKeyID: ["bb84/keys/unique-key-ids"],
        .acceptReplayedFrame: ["auth/replayed-frame-rejected"],
        .crashOnOversizedFrame: ["robustness/oversized-frame"],
        .hangOnTruncatedFrame: ["robustness/truncated-frame"],
        .ignoreDecoyStatistics: ["bb84/abort/decoy-statistics/photon-number-splitting"],
        .trustPeerEstimate: ["bb84/peer/alice-refuses-forged-proceed"],
        .trustPeerLength: ["bb84/peer/bob-refuses-overlong-key"],
        .deliverBeforeConfirmation: ["bb84/discard/confirmation-mismatch-at-both-ends"],
        .firstFrameOnlyCheck: ["bb84/abort/every-frame/attack-from-mid-session"],
        .lenientThreshold: ["bb84/abort/threshold-relative/above"],
        .keepSampleBits: ["bb84/keys/final-key-from-ground-truth"],
        .restartKeyIDs: ["bb84/keys/unique-key-ids"],
        .partialTagCheck: ["auth/tampered-tag-aborts"],
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

    @Test("globs select by ID; seeds are stable per case, per iteration, and independent of the selection")
    func selection() {
        #expect(Glob.matches("bb84/abort/*", "bb84/abort/qber-above-threshold/noise"))
        #expect(Glob.matches("*/unique-*", "keys/unique-key-ids"))
        #expect(!Glob.matches("auth/*", "bb84/keys/agreement"))
        #expect(Glob.matches("robustness/?runcated-frame", "robustness/truncated-frame"))
        let a = runner(include: ["auth/*"]), b = runner()
        #expect(a.selection().map(\.id) == ["auth/tampered-payload-aborts", "auth/tampered-tag-aborts", "auth/replayed-frame-rejected",
                                            "auth/reordered-frames-rejected"])
        #expect(a.seed(for: "auth/tampered-tag-aborts") == b.seed(for: "auth/tampered-tag-aborts"))
        #expect(a.seed(for: "auth/tampered-tag-aborts") != a.seed(for: "auth/replayed-frame-rejected"))
        #expect(a.seed(for: "auth/tampered-tag-aborts", iteration: 2) != a.seed(for: "auth/tampered-tag-aborts"))
        #expect(Set(Catalogue.all.map(\.id)).count == Catalogue.all.count, "case IDs are unique")
        // Renamed cases answer to their old IDs (in --case/--include and in baselines).
        #expect(runner(include: ["keys/unique-key-ids"]).selection().map(\.id) == ["bb84/keys/unique-key-ids"])
        #expect(ExpectedFailures(target: "t", expectedFailures: [.init(id: "auth/dropped-frame-detected", verdict: "fail", reason: nil)])
            .lists("order/dropped-frame-detected"))
        for (old, new) in Catalogue.renamed { #expect(Catalogue.all.contains { $0.id == new } && !Catalogue.all.contains { $0.id == old }) }
    }

    @Test("profiles differ: quick ⊂ ci ⊆ full, and full has cases quick has not")
    func profiles() {
        let quick = Set(Catalogue.all.filter { $0.profiles.contains(.quick) }.map(\.id))
        let ci = Set(Catalogue.all.filter { $0.profiles.contains(.ci) }.map(\.id))
        let full = Set(Catalogue.all.filter { $0.profiles.contains(.full) }.map(\.id))
        #expect(quick.isStrictSubset(of: full))
        #expect(quick.isSubset(of: ci) && ci.isSubset(of: full))
    }

    @Test("shards deal the cases round-robin: disjoint, and together the whole selection")
    func shards() throws {
        let all = runner().selection().map(\.id)
        var union: [String] = []
        for i in 1...3 {
            var r = runner()
            r.shard = try Shard(parsing: "\(i)/3")
            let ids = r.selection().map(\.id)
            #expect(Set(ids).isDisjoint(with: Set(union)))
            union += ids
        }
        #expect(Set(union) == Set(all) && union.count == all.count)
        #expect(throws: HarnessError.self) { try Shard(parsing: "0/3") }
        #expect(throws: HarnessError.self) { try Shard(parsing: "4/3") }
        #expect(throws: HarnessError.self) { try Shard(parsing: "two/3") }
        #expect(try Shard.fromEnvironment(["TEST_TOTAL_SHARDS": "4", "TEST_SHARD_INDEX": "0"]) == Shard(index: 0, count: 4))
        #expect(try Shard.fromEnvironment([:]) == nil)
        #expect(throws: HarnessError.self) { try Shard.fromEnvironment(["TEST_TOTAL_SHARDS": "4", "TEST_SHARD_INDEX": "4"]) }
    }

    /// A result with just what the report logic reads.
    func result(_ id: String, _ v: Verdict, iteration: Int = 1, expected: Bool = false) -> CaseResult {
        CaseResult(id: id, title: id, level: .must, reference: "", requirement: "", verdict: v, detail: "", seed: 1, iteration: iteration,
                   seconds: 0.1, measurements: [:], reproduce: "", expectedFailure: expected, unexpectedPass: false, evidence: nil)
    }

    func report(_ results: [CaseResult], seed: UInt64 = 7, shard: String? = nil) -> RunReport {
        RunReport(version: "t", target: "reference", profile: "quick", seed: seed, shard: shard, startedAt: "2026-11-28T00:00:00Z",
                  seconds: 1, results: results, counts: RunReport.counts(results), exitCode: RunReport.exitCode(results))
    }

    @Test("merge: shard reports combine into the report of one run; mixed seeds or duplicated cases are refused")
    func merge() throws {
        let a = report([result("a", .pass), result("c", .fail)], shard: "1/2"), b = report([result("b", .pass)], shard: "2/2")
        let m = try RunReport.merged([a, b])
        #expect(m.results.map(\.id) == ["a", "c", "b"])
        #expect(m.counts == ["pass": 2, "fail": 1] && m.exitCode == 1 && m.shard == nil)
        #expect(try RunReport.merged([report([result("a", .pass)]), report([result("b", .error)])]).exitCode == 3)
        #expect(throws: HarnessError.self) { try RunReport.merged([a, report([result("b", .pass)], seed: 8)]) }
        #expect(throws: HarnessError.self) { try RunReport.merged([a, a]) }
    }

    @Test("a baseline excuses the failures it lists and flags the cases it lists that pass")
    func baseline() async throws {
        var r = runner(bugs: [.reuseKeyID], include: ["keys/unique-key-ids", "bb84/abort/declared-threshold-sound"])
        let first = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(first.exitCode == 1)
        let baseline = ExpectedFailures(report: first)
        #expect(baseline.expectedFailures.map(\.id) == ["bb84/keys/unique-key-ids"])
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("baseline-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try baseline.write(to: path)
        r.baseline = try ExpectedFailures.load(path: path)
        let second = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(second.exitCode == 0)
        #expect(second.results.first { $0.id == "bb84/keys/unique-key-ids" }?.expectedFailure == true)
        // The same baseline against the clean stack: the listed case now passes, unexpectedly.
        var clean = runner(include: ["keys/unique-key-ids"])
        clean.baseline = baseline
        let third = await clean.run(clean.selection(), reproduceCommand: "qkdspec run")
        #expect(third.exitCode == 0 && third.results.first?.unexpectedPass == true)
    }

    @Test("--repeat runs each case N times with different seeds")
    func repeats() async {
        var r = runner(include: ["bb84/abort/declared-threshold-sound"])
        r.repeatCount = 3
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        #expect(report.results.map(\.iteration) == [1, 2, 3])
        #expect(Set(report.results.map(\.seed)).count == 3)
    }

    @Test("the HTML report holds the verdict matrix, both plots, the kill matrix and escaped text")
    func html() async {
        let r = runner(include: ["bb84/keys/length-within-finite-key-bound", "bb84/estimate/qber-consistent"])
        var report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        report.results[0].detail = "<script>alert(1)</script>"
        let matrix = KillMatrix(knobs: ["reuse-key-id"], cases: ["keys/unique-key-ids"],
                                verdicts: ["clean": ["keys/unique-key-ids": .pass], "reuse-key-id": ["keys/unique-key-ids": .fail]],
                                mustCases: ["keys/unique-key-ids"])
        let page = HTMLReport.render(report, killMatrix: matrix)
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("QBER against the declared threshold") && page.contains("finite-key bound"))
        #expect(page.components(separatedBy: "<svg").count - 1 == 2)
        #expect(page.contains("Kill matrix") && page.contains("Every knob is caught"))
        #expect(!page.contains("<script>") && page.contains("&lt;script&gt;"))
        for external in ["src=\"http", "href=\"http", "<link", "<script", "@import"] {
            #expect(!page.contains(external), "self-contained: no external resources or scripts (\(external))")
        }
        #expect(matrix.uncaught.isEmpty)
        let blind = KillMatrix(knobs: ["reuse-key-id"], cases: ["keys/unique-key-ids"],
                               verdicts: ["reuse-key-id": ["keys/unique-key-ids": .pass]], mustCases: ["keys/unique-key-ids"])
        #expect(blind.uncaught == ["reuse-key-id"])
    }
}
