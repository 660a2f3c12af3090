import Foundation
import Reports

/// The self-contained HTML report (`--html`): a verdict banner (what was and was not judged),
/// the verdict matrix with failing cases first, SVG plots of QBER against the threshold and key
/// length against the finite-key bound, the kill matrix of a self-test run, and every case's
/// details. One file, no scripts, no external resources.
package enum HTMLReport {
    package static func render(_ report: RunReport, killMatrix: KillMatrix? = nil) -> String {
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>qkdspec report — \(esc(report.target))</title>
            <style>
            body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1200px;color:#222;padding:0 1em}
            h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:2em;border-bottom:1px solid #ddd}
            table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            th{background:#f4f4f4} code{font-size:12px}
            .pass{background:#dff5df}.fail,.crash,.timeout{background:#f9d6d5;font-weight:bold}.warn,.error{background:#fdf0c8}
            .info,.unimplemented,.skipped{background:#e4eef9}.known{outline:2px dashed #b58900}
            .meta td{border:none;padding:1px 12px 1px 0} details{margin:.4em 0;border:1px solid #eee;padding:.3em .6em}
            summary{cursor:pointer} .charts svg{max-width:100%;height:auto;border:1px solid #eee;margin:.5em 0}
            .banner{padding:.7em 1em;margin:1em 0;border-radius:4px;border:2px solid}
            .banner b{font-size:1.5em;letter-spacing:.05em;margin-right:.6em}
            .banner.PASS{background:#dff5df;border-color:#2e7d32}.banner.FAIL{background:#f9d6d5;border-color:#c62828}
            .banner.INTERRUPTED{background:#fdf0c8;border-color:#b58900}.banner.NOT-JUDGED{background:#e4eef9;border-color:#1f63b4}
            </style></head><body>
            <h1>qkdspec report</h1>
            \(banner(report))
            <table class="meta">
            <tr><td>target</td><td><b>\(esc(report.target))</b></td></tr>
            <tr><td>profile</td><td>\(esc(report.profile))\(report.shard.map { " (shard \(esc($0)))" } ?? "")</td></tr>
            <tr><td>seed</td><td><code>\(report.seed)</code></td></tr>
            <tr><td>started</td><td>\(esc(report.startedAt)), \(String(format: "%.1f", report.seconds)) s</td></tr>
            <tr><td>version</td><td>\(esc(report.version))</td></tr>
            <tr><td>exit code</td><td><b>\(report.exitCode)</b> \(esc(exitMeaning(report.exitCode)))</td></tr>
            </table>

            """
        h += "<p>" + Verdict.allCases.compactMap { v in
            report.counts[v.rawValue].map { "<span class=\"\(v.rawValue)\" style=\"padding:2px 8px\">\($0) \(v.rawValue)</span>" }
        }.joined(separator: " ") + "</p>\n"

        // Verdict matrix: one row per case, one column per iteration.
        let iterations = report.results.map(\.iteration).max() ?? 1
        var order: [String] = []
        var byCase: [String: [CaseResult]] = [:]
        for r in report.results {
            if byCase[r.id] == nil { order.append(r.id) }
            byCase[r.id, default: []].append(r)
        }
        // Failing cases first, then those with no judgement or a warning, then the rest, each in
        // catalogue order: what needs a look is at the top.
        order = order.enumerated().sorted { a, b in
            let ra = urgency(byCase[a.element] ?? []), rb = urgency(byCase[b.element] ?? [])
            return ra != rb ? ra < rb : a.offset < b.offset
        }.map(\.element)
        h += "<h2>Verdicts</h2>\n<table><tr><th>case</th><th>level</th>"
        h += (1...iterations).map { iterations > 1 ? "<th>run \($0)</th>" : "<th>verdict</th>" }.joined() + "<th>seconds</th></tr>\n"
        for id in order {
            let rs = byCase[id] ?? []
            h += "<tr><td><a href=\"#\(anchor(id))\"><code>\(esc(id))</code></a></td><td>\(rs.first?.level.rawValue ?? "")</td>"
            for i in 1...iterations {
                if let r = rs.first(where: { $0.iteration == i }) {
                    let known = r.expectedFailure ? " known" : ""
                    let note = r.expectedFailure ? " (known failure)" : r.unexpectedPass ? " (unexpected pass)" : ""
                    h += "<td class=\"\(r.verdict.rawValue)\(known)\">\(r.verdict.rawValue)\(note)</td>"
                } else {
                    h += "<td>–</td>"
                }
            }
            h += "<td>\(String(format: "%.2f", rs.reduce(0) { $0 + $1.seconds }))</td></tr>\n"
        }
        h += "</table>\n"

        h += "<h2>Plots</h2>\n<div class=\"charts\">\n" + qberChart(report) + lengthChart(report) + (AcceptanceCurveChart.render(report) ?? "")
            + "</div>\n"

        if let k = killMatrix { h += killMatrixHTML(k) }

        h += "<h2>Cases</h2>\n"
        for r in order.flatMap({ byCase[$0] ?? [] }) {
            h += "<details id=\"\(anchor(r.id))\"\(r.verdict.failsRun ? " open" : "")><summary><span class=\"\(r.verdict.rawValue)\" style=\"padding:0 6px\">\(r.verdict.rawValue)</span> <code>\(esc(r.id))</code> — \(esc(r.title))\(r.iteration > 1 ? " (run \(r.iteration))" : "")</summary>\n"
            h += "<p><b>\(r.level.rawValue):</b> \(esc(r.requirement))<br><i>reference:</i> \(esc(r.reference))</p>\n"
            h += "<p>\(esc(r.detail))</p>\n<p>seed <code>\(r.seed)</code>; \(String(format: "%.2f", r.seconds)) s<br>reproduce: <code>\(esc(r.reproduce))</code></p>\n"
            if let e = r.evidence { h += "<p>evidence: <code>\(esc(e))</code></p>\n" }
            let shown = r.measurements.filter { !$0.key.hasPrefix("length_") && !$0.key.hasPrefix("bound_") }.sorted { $0.key < $1.key }
            if !shown.isEmpty {
                h += "<table>" + shown.map { "<tr><td>\(esc($0.key))</td><td>\(String(format: "%.6g", $0.value))</td></tr>" }.joined() + "</table>\n"
            }
            h += "</details>\n"
        }
        h += "<p style=\"color:#888\">Generated by qkdspec \(esc(report.version)). Reports carry no key material.</p>\n</body></html>\n"
        return h
    }

    static func exitMeaning(_ code: Int32) -> String {
        let meaning = ExitStatus.meaning(code)
        return meaning.isEmpty ? "" : "(\(meaning))"
    }

    /// Whether the run was stopped before every case ran. Read from the exit code it recorded
    /// (130, `ExitStatus.interrupted`), so a report from any version says it.
    static func interrupted(_ report: RunReport) -> Bool {
        report.interrupted || report.exitCode == ExitStatus.interrupted
    }

    /// The banner at the top: PASS, FAIL, INTERRUPTED or NOT JUDGED, the counts, and what was and
    /// was not judged.
    static func banner(_ report: RunReport) -> String {
        let judgement = RunJudgement(results: report.results, interrupted: interrupted(report))
        let counts = Verdict.allCases.compactMap { v in report.counts[v.rawValue].map { "\($0) \(v.rawValue)" } }.joined(separator: ", ")
        let word = judgement.outcome.rawValue
        // An interrupted run says which cases it never ran.
        let notRun = report.notRun.isEmpty ? "" : "<br>not run: " + report.notRun.map { esc($0.id) }.joined(separator: ", ")
        return "<div class=\"banner \(word.replacingOccurrences(of: " ", with: "-"))\"><b>\(word)</b>"
            + "\(report.results.count) cases: \(esc(counts))<br>\(esc(judgement.sentence(pointer: " — see below")))\(notRun)</div>"
    }

    /// A case's place in the tables: 0 fails the run, 1 the harness could not run it, 2 a warning
    /// or no judgement (unimplemented, skipped), 3 the rest.
    static func urgency(_ results: [CaseResult]) -> Int {
        if results.contains(where: \.failsRun) { return 0 }
        if results.contains(where: { $0.verdict == .error }) { return 1 }
        if results.contains(where: { [.warn, .unimplemented, .skipped].contains($0.verdict) }) { return 2 }
        return 3
    }

    /// True and estimated QBER of every case that measured them, against the declared threshold.
    static func qberChart(_ report: RunReport) -> String {
        let rows = report.results.filter { $0.measurements["qber_true"] != nil }
        guard !rows.isEmpty else { return "<p>No case measured a QBER.</p>\n" }
        var truth: [(x: Double, y: Double)] = [], estimate: [(x: Double, y: Double)] = [], threshold: [(x: Double, y: Double)] = []
        for (i, r) in rows.enumerated() {
            // The truth a little left of the case's tick, the estimate a little right: side by
            // side, neither hides the other when they agree.
            let x = Double(i + 1)
            truth.append((x - 0.08, 100 * (r.measurements["qber_true"] ?? 0)))
            if let e = r.measurements["qber_estimate"] { estimate.append((x + 0.08, 100 * e)) }
            if let t = r.measurements["threshold"] { threshold.append((x, 100 * t)) }
        }
        // The threshold is a level, not a point per case: run its line across the whole axis.
        if let first = threshold.first, let last = threshold.last {
            threshold.insert((0.5, first.y), at: 0)
            threshold.append((Double(rows.count) + 0.5, last.y))
        }
        var chart = SVGChart(
            title: "QBER against the declared threshold", xLabel: "case", yLabel: "QBER (%)", logarithmicY: false,
            series: [ChartSeries(name: "true QBER (simulator)", points: truth, style: .points, color: "#1f77b4"),
                     ChartSeries(name: "estimated by the stack", points: estimate, style: .points, color: "#ff7f0e"),
                     ChartSeries(name: "declared threshold", points: threshold, style: .dashedLine, color: "#d62728")])
        chart.categories = rows.map { $0.iteration > 1 ? "\($0.id) #\($0.iteration)" : $0.id }
        chart.padding = 0.08
        chart.legend = .above
        return chart.render()
    }

    /// Every delivered key's length against its finite-key bound (the bound line is y = x).
    static func lengthChart(_ report: RunReport) -> String {
        var points: [(x: Double, y: Double)] = []
        for r in report.results {
            for i in 0..<64 {
                guard let l = r.measurements["length_\(i)"], let b = r.measurements["bound_\(i)"] else { break }
                points.append((b, l))
            }
        }
        guard !points.isEmpty else { return "<p>No key length was measured.</p>\n" }
        // The axes span the data (a few percent around it), not 0 up: keys near their bound
        // would otherwise sit in a flat line at the top. The y = x line spans the same range on
        // both axes, so they stay alike.
        let lo = points.map { min($0.x, $0.y) }.min() ?? 0, hi = points.map { max($0.x, $0.y) }.max() ?? 1
        var chart = SVGChart(
            title: "Delivered key length against the finite-key bound", xLabel: "bound from the wire (bits)", yLabel: "delivered length (bits)",
            logarithmicY: false,
            series: [ChartSeries(name: "keys", points: points, style: .points, color: "#2ca02c"),
                     ChartSeries(name: "length = bound", points: [(lo, lo), (hi, hi)], style: .dashedLine, color: "#d62728")])
        chart.linearYFromZero = false
        chart.padding = 0.08
        chart.legend = .above
        return chart.render()
    }

    static func killMatrixHTML(_ k: KillMatrix) -> String {
        var h = "<h2>Kill matrix</h2>\n<p>Each column is the reference stack with one bug knob switched on; a bold cell is a case that caught it. "
        h += k.uncaught.isEmpty ? "Every knob is caught by at least one MUST case." : "<b>Not caught: \(k.uncaught.map(esc).joined(separator: ", "))</b>"
        h += "</p>\n<table><tr><th>case</th><th>clean</th>" + k.knobs.map { "<th><code>\(esc($0))</code></th>" }.joined() + "</tr>\n"
        for c in k.cases {
            h += "<tr><td><code>\(esc(c))</code></td>"
            for column in ["clean"] + k.knobs {
                let v = k.verdicts[column]?[c]
                h += "<td class=\"\(v?.rawValue ?? "")\">\(v?.rawValue ?? "–")</td>"
            }
            h += "</tr>\n"
        }
        return h + "</table>\n"
    }

    static func anchor(_ id: String) -> String { "case-" + id.map { $0.isLetter || $0.isNumber ? String($0) : "-" }.joined() }

    static func esc(_ s: String) -> String { MarkupText.escape(s) }
}
