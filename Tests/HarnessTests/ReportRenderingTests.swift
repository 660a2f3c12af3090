import Foundation
import Node
import Testing
import Vectors
@testable import Harness

/// Reports built from results written by hand, so each test knows exactly what was judged.
enum HandMadeReport {
    static func result(_ id: String, _ verdict: Verdict, level: RequirementLevel = .must, measurements: [String: Double] = [:],
                       expected: Bool = false) -> CaseResult {
        CaseResult(id: id, title: "title of \(id)", level: level, reference: "ref", requirement: "req", verdict: verdict, detail: "detail",
                   seed: 1, iteration: 1, seconds: 0.5, measurements: measurements, reproduce: "qkdspec run --case \(id) --seed 1",
                   expectedFailure: expected, unexpectedPass: false, evidence: nil)
    }

    static func report(_ results: [CaseResult], exitCode: Int32? = nil) -> RunReport {
        RunReport(version: "test", target: "hand-made", profile: "quick", seed: 1, shard: nil, startedAt: "2026-12-02T00:00:00Z",
                  seconds: 1, results: results, counts: RunReport.counts(results), exitCode: exitCode ?? RunReport.exitCode(results))
    }

    /// An opaque target's run: 12 MUST cases passed, 7 could not be judged.
    static var opaque: RunReport {
        report((1...12).map { result("must/pass-\($0)", .pass) } + (1...7).map { result("must/opaque-\($0)", .unimplemented) }
               + [result("should/warned", .warn, level: .should)])
    }
}

@Suite("What a run judged (console, HTML banner, summary)")
struct RunJudgementTests {
    @Test("an opaque target: the MUST cases not judged are counted and named as such, never as passed")
    func opaque() {
        let j = RunJudgement(results: HandMadeReport.opaque.results, interrupted: false)
        #expect(j.outcome == .pass)
        #expect(j.sentence(pointer: " — see below") == "12 MUST cases passed; 7 MUST cases not judged (unimplemented) — see below")
    }

    @Test("outcomes: FAIL for a failure, NOT JUDGED when no MUST case was judged or the harness could not run one, INTERRUPTED first")
    func outcomes() {
        let r = HandMadeReport.result
        #expect(RunJudgement(results: [r("a", .pass, .must, [:], false), r("b", .crash, .must, [:], false)], interrupted: false).outcome == .fail)
        let none = RunJudgement(results: [r("a", .unimplemented, .must, [:], false), r("b", .skipped, .must, [:], false)], interrupted: false)
        #expect(none.outcome == .notJudged)
        #expect(none.sentence() == "0 MUST cases passed; 2 MUST cases not judged (1 unimplemented, 1 skipped)")
        #expect(RunJudgement(results: [r("a", .pass, .must, [:], false), r("b", .error, .must, [:], false)], interrupted: false).outcome == .notJudged)
        let stopped = RunJudgement(results: [r("a", .fail, .must, [:], false)], interrupted: true)
        #expect(stopped.outcome == .interrupted)
        #expect(stopped.sentence() == "0 MUST cases passed; 1 MUST case failed; interrupted: the cases not run are not judged")
        let known = RunJudgement(results: [r("a", .fail, .must, [:], true), r("b", .pass, .must, [:], false)], interrupted: false)
        #expect(known.outcome == .pass && known.sentence() == "1 MUST case passed; 1 MUST case failed as the baseline expects")
    }
}

@Suite("The HTML report's banner, order and plots")
struct HTMLReportLayoutTests {
    @Test("an opaque target's page says what was not judged, and never that every MUST case passed")
    func opaqueBanner() {
        let page = HTMLReport.render(HandMadeReport.opaque)
        #expect(!page.contains("every MUST case passed"))
        #expect(page.contains("<div class=\"banner PASS\"><b>PASS</b>20 cases: 12 pass, 1 warn, 7 unimplemented<br>"
                              + "12 MUST cases passed; 7 MUST cases not judged (unimplemented) — see below</div>"))
        // The banner comes before everything else in the body but the title.
        let body = page.components(separatedBy: "<body>")[1]
        #expect(body.range(of: "class=\"banner")!.lowerBound < body.range(of: "class=\"meta\"")!.lowerBound)
    }

    @Test("banner words: FAIL, NOT JUDGED, INTERRUPTED (a report whose exit code is 130)")
    func bannerWords() {
        let r = HandMadeReport.result
        #expect(HTMLReport.render(HandMadeReport.report([r("a", .fail, .must, [:], false)])).contains("<div class=\"banner FAIL\"><b>FAIL</b>"))
        #expect(HTMLReport.render(HandMadeReport.report([r("a", .unimplemented, .must, [:], false)]))
            .contains("<div class=\"banner NOT-JUDGED\"><b>NOT JUDGED</b>"))
        let stopped = HandMadeReport.report([r("a", .pass, .must, [:], false)], exitCode: ExitStatus.interrupted)
        let page = HTMLReport.render(stopped)
        #expect(page.contains("<div class=\"banner INTERRUPTED\"><b>INTERRUPTED</b>"))
        #expect(page.contains("interrupted: the cases not run are not judged"))
    }

    @Test("failing cases come first in the verdict table and in the case details, the rest in catalogue order")
    func failingFirst() {
        let r = HandMadeReport.result
        let report = HandMadeReport.report([r("c/pass-1", .pass, .must, [:], false), r("c/unimpl", .unimplemented, .must, [:], false),
                                            r("c/fail", .fail, .must, [:], false), r("c/pass-2", .pass, .must, [:], false),
                                            r("c/timeout", .timeout, .must, [:], false)])
        let page = HTMLReport.render(report)
        func positions(_ marker: (String) -> String) -> [String] {
            ["c/pass-1", "c/unimpl", "c/fail", "c/pass-2", "c/timeout"].sorted {
                page.range(of: marker($0))!.lowerBound < page.range(of: marker($1))!.lowerBound
            }
        }
        let expected = ["c/fail", "c/timeout", "c/unimpl", "c/pass-1", "c/pass-2"]
        #expect(positions { "<tr><td><a href=\"#\(HTMLReport.anchor($0))\">" } == expected)
        #expect(positions { "<details id=\"\(HTMLReport.anchor($0))\"" } == expected)
    }

    @Test("the QBER plot labels its points with the case IDs (no lookup table); the key-length plot's axis starts near the data")
    func plots() {
        let r = HandMadeReport.result
        let report = HandMadeReport.report([
            r("bb84/estimate/qber-consistent", .pass, .must, ["qber_true": 0.031, "qber_estimate": 0.03, "threshold": 0.08], false),
            r("bb84/abort/qber-above-threshold/intercept-resend", .pass, .must, ["qber_true": 0.26, "threshold": 0.08], false),
            r("bb84/keys/length-within-finite-key-bound", .pass, .must,
              ["length_0": 9100, "bound_0": 9300, "length_1": 9800, "bound_1": 9900, "length_2": 9400, "bound_2": 9400], false),
        ])
        let qber = HTMLReport.qberChart(report)
        #expect(!qber.contains("<th>#</th>"), "no lookup table")
        #expect(qber.contains(">bb84/estimate/qber-consistent</text>") && qber.contains(">bb84/abort/qber-above-threshold/intercept-resend</text>"))
        let length = HTMLReport.lengthChart(report)
        let yTicks = length.components(separatedBy: "text-anchor=\"end\">").dropFirst().compactMap { $0.components(separatedBy: "<").first }
            .compactMap(Double.init)
        #expect(!yTicks.isEmpty && yTicks.min()! >= 8000, "y ticks \(yTicks)")
        #expect(!length.contains("fill-opacity=\"0.9\""), "the legend is not a card over the data")
    }
}

@Suite("Exit codes and the kill matrix outside the command line")
struct ExitStatusAndKillMatrixTests {
    @Test("RunReport.exitCode speaks ExitStatus: 0, 1, 3; an interrupted run is 130")
    func exitCodes() {
        let r = HandMadeReport.result
        #expect(RunReport.exitCode([r("a", .pass, .must, [:], false)]) == ExitStatus.success)
        #expect(RunReport.exitCode([r("a", .fail, .must, [:], false)]) == ExitStatus.conformanceFailure)
        #expect(RunReport.exitCode([r("a", .error, .must, [:], false)]) == ExitStatus.harnessFailure)
        #expect(ExitStatus.success == 0 && ExitStatus.conformanceFailure == 1 && ExitStatus.usage == 2 && ExitStatus.harnessFailure == 3)
        #expect(ExitStatus.interrupted == 130)
    }

    static var matrix: KillMatrix {
        KillMatrix(knobs: ["reuse-key-id", "skip-verification"], cases: ["keys/unique-key-ids", "bb84/keys/agreement"],
                   verdicts: ["clean": ["keys/unique-key-ids": .pass, "bb84/keys/agreement": .pass],
                              "reuse-key-id": ["keys/unique-key-ids": .fail, "bb84/keys/agreement": .pass],
                              "skip-verification": ["keys/unique-key-ids": .pass, "bb84/keys/agreement": .warn]],
                   mustCases: ["keys/unique-key-ids", "bb84/keys/agreement"])
    }

    @Test("KillMatrix.markdown(seed:profile:) writes docs/kill-matrix.md's header exactly as the committed file has it")
    func markdownHeader() throws {
        let committed = try String(contentsOf: QKDSpecExecutable.repository.appendingPathComponent("docs/kill-matrix.md"), encoding: .utf8)
        let header = committed.components(separatedBy: "| case |")[0]
        // The committed file says which seed and profile made it.
        #expect(header.contains("--seed 1 --profile quick"))
        #expect(Self.matrix.markdown(seed: 1, profile: "quick") == header + Self.matrix.markdown())
        #expect(Self.matrix.markdown().contains("| `keys/unique-key-ids` | pass | **fail** | · |"))
    }

    @Test("the JSON report carries the kill matrix under kill_matrix, valid against docs/report-schema.json; without one, no such key")
    func json() throws {
        let report = HandMadeReport.report([HandMadeReport.result("keys/unique-key-ids", .pass)])
        let with = try JSONDecoder().decode(JSONValue.self, from: ReportJSON.data(report, killMatrix: Self.matrix))
        let schemaData = try Data(contentsOf: QKDSpecExecutable.repository.appendingPathComponent("docs/report-schema.json"))
        let validator = JSONSchemaValidator(schema: try JSONDecoder().decode(JSONValue.self, from: schemaData))
        #expect(validator.validate(with) == [])
        let km = try #require(with.object?["kill_matrix"]?.object)
        #expect(km["uncaught"] == .array([.string("skip-verification")]))
        #expect(km["must_cases"] == .array([.string("bb84/keys/agreement"), .string("keys/unique-key-ids")]))
        #expect(km["verdicts"]?.object?["reuse-key-id"]?.object?["keys/unique-key-ids"] == .string("fail"))
        let without = try JSONDecoder().decode(JSONValue.self, from: ReportJSON.data(report))
        #expect(without.object?["kill_matrix"] == nil && validator.validate(without) == [])
        // A report with a kill matrix is still a report (merge reads it), and the matrix reads back.
        let data = try ReportJSON.data(report, killMatrix: Self.matrix)
        #expect(try JSONDecoder().decode(RunReport.self, from: data).results.count == 1)
        #expect(try ReportJSON.killMatrix(from: data)?.uncaught == ["skip-verification"])
    }
}
