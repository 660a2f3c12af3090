import Foundation
import Harness

/// Console output of `qkdspec run`: a line per case, colour on a terminal unless NO_COLOR is set,
/// a progress bar on standard error while a case runs (terminal only), and a summary table.
struct Console: Sendable {
    let quiet: Bool
    let verbose: Bool
    let colour = isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    let progress = isatty(2) == 1

    func paint(_ text: String, _ verdict: Verdict) -> String {
        guard colour else { return text }
        let code: String
        switch verdict {
        case .pass: code = "32"
        case .fail, .crash, .timeout: code = "31"
        case .warn, .error: code = "33"
        default: code = "36"
        }
        return "\u{1B}[\(code)m\(text)\u{1B}[0m"
    }

    func header(target: String, profile: String, seed: UInt64, cases: Int, shard: Shard?, repeats: Int) {
        guard !quiet else { return }
        var line = "qkdspec run — target: \(target); profile \(profile); \(cases) cases"
        if repeats > 1 { line += " × \(repeats)" }
        if let shard { line += "; shard \(shard.description)" }
        print(line + "; seed \(seed)")
        fflush(nil)  // every output stream; `stdout` itself is not concurrency-safe to name
    }

    /// The progress bar for the case about to run: `[#####.....] 7/21 id`.
    func starting(_ id: String, done: Int, total: Int) {
        guard progress, !quiet else { return }
        let width = 24, filled = total > 0 ? done * width / total : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        FileHandle.standardError.write(Data("\r\u{1B}[K[\(bar)] \(done)/\(total) \(id)".utf8))
    }

    func result(_ r: CaseResult, done: Int, total: Int) {
        if progress && !quiet { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        guard !quiet else { return }
        let tag = paint(Self.label(r.verdict), r.verdict)
        var note = ""
        if r.expectedFailure { note = "  [known failure: in the baseline]" }
        if r.unexpectedPass { note = "  [unexpected pass: the baseline lists it as failing]" }
        let run = r.iteration > 1 ? " run \(r.iteration)" : ""
        print("\(tag) [\(done)/\(total)] \(r.id)\(run)  (\(r.level.rawValue), \(String(format: "%.1f", r.seconds)) s)\(note)")
        if verbose || r.verdict != .pass {
            // Under the case's number, past the verdict column.
            let indent = String(repeating: " ", count: Self.label(.pass).count + 1)
            print("\(indent)\(r.detail)")
            if r.verdict != .pass { print("\(indent)requirement: \(r.requirement)\n\(indent)reproduce: \(r.reproduce)") }
            if let e = r.evidence { print("\(indent)evidence: \(e)") }
        }
        // A CI log shows each verdict as it comes, not when a pipe's buffer fills.
        fflush(nil)  // every output stream; `stdout` itself is not concurrency-safe to name
    }

    /// A verdict's full name in capitals, padded to the longest one so the columns after it align.
    static func label(_ verdict: Verdict) -> String {
        let width = Verdict.allCases.map(\.rawValue.count).max() ?? 0
        return verdict.rawValue.uppercased().padding(toLength: width, withPad: " ", startingAt: 0)
    }

    /// A self-test knob's line: the MUST cases that caught it, or NOT CAUGHT.
    func knob(_ name: String, caughtBy caught: [String]) {
        guard !quiet else { return }
        if progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print("knob \(name): " + (caught.isEmpty ? "NOT CAUGHT" : "caught by \(caught.joined(separator: ", "))"))
    }

    /// The summary table: verdicts by requirement level, then the line that says it all.
    func summary(_ report: RunReport) {
        let order: [Verdict] = [.pass, .fail, .warn, .info, .unimplemented, .skipped, .error, .timeout, .crash]
        let used = order.filter { report.counts[$0.rawValue] != nil }
        if !quiet && !used.isEmpty {
            print("")
            // Each column as wide as its verdict's name (unimplemented is 13 letters), at least 8.
            func column(_ text: String, _ v: Verdict) -> String { text.padding(toLength: max(8, v.rawValue.count + 2), withPad: " ", startingAt: 0) }
            print("level  " + used.map { column($0.rawValue, $0) }.joined())
            for level in [RequirementLevel.must, .should, .may] {
                let rs = report.results.filter { $0.level == level }
                guard !rs.isEmpty else { continue }
                print(level.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                      + used.map { v in column(String(rs.filter { $0.verdict == v }.count), v) }.joined())
            }
        }
        let parts = order.compactMap { v in report.counts[v.rawValue].map { "\($0) \(v.rawValue)" } }
        let known = report.results.filter(\.expectedFailure).count, surprise = report.results.filter(\.unexpectedPass).count
        var line = "\(report.results.count) cases in \(String(format: "%.1f", report.seconds)) s: " + parts.joined(separator: ", ")
        if known > 0 { line += "; \(known) known failures (baseline)" }
        if surprise > 0 { line += "; \(surprise) unexpected passes: update the baseline" }
        print(line)
        // What was judged: a MUST case left unimplemented is not a MUST case that passed.
        let judgement = RunJudgement(results: report.results, interrupted: report.interrupted || report.exitCode == ExitStatus.interrupted)
        print("\(judgement.outcome.rawValue): " + judgement.sentence(pointer: " — see above"))
    }
}
