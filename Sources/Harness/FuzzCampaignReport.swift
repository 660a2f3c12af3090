import Foundation
import Reports

/// What the node fuzzer's and the ETSI 014 fuzzer's reports have in common, written once: the
/// JUnit `campaign` case, the HTML page around the findings, and the exit code. `unit` names what
/// a campaign counts ("sessions", "requests").
package enum FuzzCampaignReport {
    /// 1 with a finding, 130 interrupted, 0 otherwise (the harness's own failures throw instead).
    package static func exitCode(findings: Int, interrupted: Bool) -> Int32 {
        interrupted ? ExitStatus.interrupted : findings == 0 ? ExitStatus.success : ExitStatus.conformanceFailure
    }

    /// The JUnit case that stands for the campaign itself (passing unless interrupted), after one
    /// failing case per finding.
    package static func campaignCase(className: String, seconds: Double, interrupted: Bool, count: Int, unit: String, behaviours: Int,
                                     findings: Int) -> JUnitReport.TestCase {
        JUnitReport.TestCase(name: "campaign", className: className, seconds: seconds, outcome: interrupted ? .error : .passed,
                             message: interrupted ? "interrupted" : "", detail: "\(count) \(unit), \(behaviours) behaviours, \(findings) findings")
    }

    /// A campaign's facts, as the HTML page's table shows them.
    package struct Campaign {
        package var title: String
        package var target: String
        package var seed: UInt64
        package var startedAt: String
        package var seconds: Double
        package var durationSeconds: Double
        package var count: Int
        package var unit: String
        package var rate: String
        package var behaviours: Int
        package var findings: Int
        package var interrupted: Bool
        package var unconfirmed: [String]
        package var harnessErrors: [String]
    }

    /// The self-contained HTML page: a banner, the campaign's table (with `extraRows`, already
    /// HTML), each finding's section (already HTML), what did not reproduce and the harness's errors.
    package static func html(_ c: Campaign, extraRows: String = "", findingSections: [String]) -> String {
        func esc(_ s: String) -> String { MarkupText.escape(s) }
        let banner = c.findings == 0 ? "NO FINDING" : "\(c.findings) FINDING\(c.findings == 1 ? "" : "S")"
        var h = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>\(esc(c.title)) — \(esc(c.target))</title>
            <style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}
            table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}
            .banner{padding:.7em 1em;border:2px solid;border-radius:4px}.FOUND{background:#f9d6d5;border-color:#c62828}
            .CLEAN{background:#dff5df;border-color:#2e7d32}code,pre{font-size:12px}pre{white-space:pre-wrap}</style></head><body>
            <h1>\(esc(c.title))</h1>
            <p class="banner \(c.findings == 0 ? "CLEAN" : "FOUND")"><b>\(banner)</b>
            \(c.interrupted ? " (interrupted)" : "")</p>
            <table><tr><td>target</td><td><b>\(esc(c.target))</b></td></tr><tr><td>seed</td><td><code>\(c.seed)</code></td></tr>
            <tr><td>started</td><td>\(esc(c.startedAt)), \(String(format: "%.1f", c.seconds)) s of \(String(format: "%.0f", c.durationSeconds)) s</td></tr>
            <tr><td>\(c.unit)</td><td>\(c.count) (\(c.rate)/s), \(c.behaviours) distinct behaviours</td></tr>\(extraRows)</table>

            """
        for section in findingSections { h += section + "\n" }
        if !c.unconfirmed.isEmpty { h += "<h2>Not reproduced</h2><ul>" + c.unconfirmed.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n" }
        if !c.harnessErrors.isEmpty { h += "<h2>Harness errors</h2><ul>" + c.harnessErrors.map { "<li>\(esc($0))</li>" }.joined() + "</ul>\n" }
        return h + "</body></html>\n"
    }
}
