/// What a run judged and what it could not, in one place, so the console, the HTML banner and
/// the summary line never claim more than the results show (a MUST case an opaque target leaves
/// `unimplemented` is not a MUST case that passed).
package struct RunJudgement: Sendable {
    /// The banner's word for the whole run.
    package enum Outcome: String, Sendable {
        case pass = "PASS"
        case fail = "FAIL"
        case interrupted = "INTERRUPTED"
        case notJudged = "NOT JUDGED"
    }

    /// The run's outcome: interrupted first (it proves nothing about the rest), then a failure
    /// the baseline does not excuse, then "not judged" when no MUST case was judged at all or the
    /// harness could not run a case; otherwise pass.
    package var outcome: Outcome
    /// MUST results that passed, and those that failed the run.
    package var mustPassed: Int
    package var mustFailed: Int
    /// MUST failures the baseline lists as known.
    package var mustKnownFailures: Int
    /// MUST results with no judgement, per verdict (unimplemented, skipped, error), in that order.
    package var mustNotJudged: [(verdict: Verdict, count: Int)]
    /// Every result that fails the run, at any level.
    package var failing: Int

    /// Judges `results`; `interrupted` when the run was stopped before every case ran.
    package init(results: [CaseResult], interrupted: Bool) {
        let must = results.filter { $0.level == .must }
        mustPassed = must.filter { $0.verdict == .pass }.count
        mustFailed = must.filter(\.failsRun).count
        mustKnownFailures = must.filter(\.expectedFailure).count
        mustNotJudged = [Verdict.unimplemented, .skipped, .error].compactMap { v in
            let n = must.filter { $0.verdict == v }.count
            return n > 0 ? (v, n) : nil
        }
        failing = results.filter(\.failsRun).count
        if interrupted {
            outcome = .interrupted
        } else if failing > 0 {
            outcome = .fail
        } else if results.contains(where: { $0.verdict == .error })
                    || (mustPassed + mustFailed + mustKnownFailures == 0 && !mustNotJudged.isEmpty) {
            outcome = .notJudged
        } else {
            outcome = .pass
        }
    }

    /// MUST results the run did not judge, all verdicts together.
    package var mustNotJudgedCount: Int { mustNotJudged.reduce(0) { $0 + $1.count } }

    /// One sentence that says exactly what was and was not judged, e.g. "12 MUST cases passed;
    /// 7 MUST cases not judged (unimplemented)". `pointer` ends the not-judged part (" — see below").
    package func sentence(pointer: String = "") -> String {
        func cases(_ n: Int) -> String { n == 1 ? "1 MUST case" : "\(n) MUST cases" }
        var parts = ["\(cases(mustPassed)) passed"]
        if mustFailed > 0 { parts.append("\(cases(mustFailed)) failed") }
        if mustKnownFailures > 0 { parts.append("\(cases(mustKnownFailures)) failed as the baseline expects") }
        if mustNotJudgedCount > 0 {
            let why = mustNotJudged.map { $0.count == mustNotJudgedCount ? $0.verdict.rawValue : "\($0.count) \($0.verdict.rawValue)" }
            parts.append("\(cases(mustNotJudgedCount)) not judged (\(why.joined(separator: ", ")))" + pointer)
        }
        if outcome == .interrupted { parts.append("interrupted: the cases not run are not judged") }
        return parts.joined(separator: "; ")
    }
}
