import Foundation
import Harness
import Reports

/// The report files `qkdspec run` and `qkdspec merge` write: JSON (docs/report-schema.json),
/// JUnit XML and the HTML page.
struct ReportFiles {
    var json: String?
    var junit: String?
    var html: String?

    func write(_ report: RunReport, killMatrix: KillMatrix? = nil) throws {
        if let json {
            do { try ReportJSON.data(report, killMatrix: killMatrix).write(to: URL(fileURLWithPath: json)) } catch {
                throw UsageError("cannot write the JSON report to \(json): \(error.localizedDescription)")
            }
        }
        if let junit {
            do { try Self.junit(report).render().write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw UsageError("cannot write the JUnit report to \(junit): \(error.localizedDescription)")
            }
        }
        if let html {
            do { try HTMLReport.render(report, killMatrix: killMatrix).write(toFile: html, atomically: true, encoding: .utf8) } catch {
                throw UsageError("cannot write the HTML report to \(html): \(error.localizedDescription)")
            }
        }
    }

    static func readReport(_ path: String) throws -> RunReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw UsageError("cannot read \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(RunReport.self, from: data) } catch {
            throw UsageError("\(path) is not a qkdspec JSON report (qkdspec run --json): \(error)")
        }
    }

    static func junit(_ report: RunReport) -> JUnitReport {
        JUnitReport(
            suiteName: "qkdspec run (\(report.target))", timestamp: report.startedAt,
            properties: [("seed", String(report.seed)), ("profile", report.profile), ("target", report.target), ("version", report.version)]
                + (report.shard.map { [("shard", $0)] } ?? []),
            cases: report.results.map { r in
                let outcome: JUnitReport.Outcome
                switch r.verdict {
                case .pass, .info, .warn: outcome = .passed
                case .fail, .crash, .timeout: outcome = r.expectedFailure ? .skipped : .failure
                case .error: outcome = .error
                case .skipped, .unimplemented: outcome = .skipped
                }
                let className = r.id.split(separator: "/").dropLast().joined(separator: ".")
                return JUnitReport.TestCase(
                    name: r.iteration > 1 ? "\(r.id)#\(r.iteration)" : r.id, className: className.isEmpty ? "qkdspec" : className,
                    seconds: r.seconds, outcome: outcome,
                    message: "\(r.verdict.rawValue)\(r.expectedFailure ? " (known failure, in the baseline)" : ""): \(r.title)",
                    detail: "\(r.detail)\nrequirement (\(r.level.rawValue)): \(r.requirement)\nreference: \(r.reference)\nseed: \(r.seed)\nreproduce: \(r.reproduce)"
                        + (r.evidence.map { "\nevidence: \($0)" } ?? ""))
            })
    }
}
