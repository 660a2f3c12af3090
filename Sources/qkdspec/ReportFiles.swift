import Foundation
import Harness
import Reports

/// The report files `qkdspec run`, `qkdspec merge` and `qkdspec fuzz` write: JSON
/// (docs/report-schema.json for run), JUnit XML, the HTML page and a SARIF 2.1.0 log.
struct ReportFiles {
    var json: String?
    var junit: String?
    var html: String?
    var sarif: String? = nil

    /// Checks, before any case runs, that every output can be written: not a directory, in a
    /// writable directory, no two outputs on one path, `-` (standard output) for one at most.
    /// `others` are further outputs of the command (a baseline, the kill matrix) by option name.
    func check(others: [(option: String, path: String?)] = []) throws {
        let outputs = ([("--json", json), ("--junit", junit), ("--html", html), ("--sarif", sarif)] + others).compactMap { o in o.1.map { (o.0, $0) } }
        var seen: [String: String] = [:]
        for (option, path) in outputs {
            let key = path == "-" ? "-" : URL(fileURLWithPath: path).standardizedFileURL.path
            if let earlier = seen[key] {
                throw UsageError(path == "-" ? "\(earlier) and \(option) both write to standard output: give one of them a file"
                                 : "\(earlier) and \(option) both write to \(path): give each output its own file")
            }
            seen[key] = option
            if path == "-" { continue }
            if let why = FileProblem.unwritable(path) { throw UsageError("\(option) \(path) cannot be written: \(why)") }
        }
    }

    /// Whether one of the reports goes to standard output (`-`), so the console must not.
    var usesStandardOutput: Bool { [json, junit, html, sarif].contains("-") }

    func write(_ report: RunReport, killMatrix: KillMatrix? = nil) throws {
        if let json {
            do { try Self.put(ReportJSON.data(report, killMatrix: killMatrix) + Data("\n".utf8), json) } catch {
                throw UsageError("cannot write the JSON report to \(json): \(FileProblem.reason(error))")
            }
        }
        if let junit {
            do { try Self.put(Data(Self.junit(report).render().utf8), junit) } catch {
                throw UsageError("cannot write the JUnit report to \(junit): \(FileProblem.reason(error))")
            }
        }
        if let html {
            do { try Self.put(Data(HTMLReport.render(report, killMatrix: killMatrix).utf8), html) } catch {
                throw UsageError("cannot write the HTML report to \(html): \(FileProblem.reason(error))")
            }
        }
        try writeSARIF(report.sarif())
    }

    /// Writes the SARIF log, if asked for.
    func writeSARIF(_ log: SARIFReport) throws {
        guard let sarif else { return }
        do { try Self.put(log.render() + Data("\n".utf8), sarif) } catch {
            throw UsageError("cannot write the SARIF log to \(sarif): \(FileProblem.reason(error))")
        }
    }

    /// The reports of a network-fuzz campaign (`qkdspec fuzz`).
    func write(fuzz report: NetworkFuzzReport) throws {
        let files: [(String?, String, () throws -> Data)] = [
            (json, "JSON report", { try report.json() }), (junit, "JUnit report", { Data(report.junit().render().utf8) }),
            (html, "HTML report", { Data(report.html().utf8) }),
        ]
        for (path, what, data) in files {
            guard let path else { continue }
            do { try Self.put(data(), path) } catch {
                throw UsageError("cannot write the \(what) to \(path): \(FileProblem.reason(error))")
            }
        }
        try writeSARIF(report.sarif(version: QKDSpecVersion.current))
    }

    /// The file descriptor that was standard output before the console was moved to standard
    /// error (``moveConsoleToStandardError()``), where `-` outputs go.
    nonisolated(unsafe) static var reportOutput: Int32 = STDOUT_FILENO

    /// With a report on standard output, everything the console prints goes to standard error
    /// instead, so the report stays parseable.
    static func moveConsoleToStandardError() {
        fflush(nil)
        let saved = dup(STDOUT_FILENO)
        guard saved >= 0 else { return }
        reportOutput = saved
        dup2(STDERR_FILENO, STDOUT_FILENO)
    }

    static func put(_ data: Data, _ path: String) throws {
        if path == "-" {
            fflush(nil)
            try FileHandle(fileDescriptor: reportOutput, closeOnDealloc: false).write(contentsOf: data)
        } else {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    static func readReport(_ path: String) throws -> RunReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw UsageError("cannot read \(path): \(FileProblem.reason(error))")
        }
        do { return try JSONDecoder().decode(RunReport.self, from: data) } catch let e as HarnessError {
            throw UsageError("\(path): \(e)")
        } catch DecodingError.dataCorrupted(let context) where context.underlyingError is HarnessError {
            throw UsageError("\(path): \(context.underlyingError!)")
        } catch {
            throw UsageError("\(path) is not a qkdspec JSON report (qkdspec run --json): \(error)")
        }
    }

    static func junit(_ report: RunReport) -> JUnitReport {
        JUnitReport(
            suiteName: "qkdspec run (\(report.target))", timestamp: report.startedAt,
            properties: [("seed", String(report.seed)), ("profile", report.profile), ("target", report.target), ("version", report.version)]
                + (report.shard.map { [("shard", $0)] } ?? []),
            cases: report.results.map(Self.junitCase) + Self.interruption(report))
    }

    /// An interrupted run is an error in JUnit too: one error test case saying so, and each case
    /// iteration that did not run skipped with the reason.
    static func interruption(_ report: RunReport) -> [JUnitReport.TestCase] {
        guard report.interrupted else { return [] }
        let notRun = report.notRun.map { n in
            JUnitReport.TestCase(name: n.iteration > 1 ? "\(n.id)#\(n.iteration)" : n.id, className: className(n.id), seconds: 0, outcome: .skipped,
                                 message: "not run: the run was interrupted", detail: "")
        }
        return notRun + [JUnitReport.TestCase(
            name: "interrupted", className: "qkdspec.run", seconds: 0, outcome: .error,
            message: "the run was interrupted (SIGINT/SIGTERM): \(report.notRun.count) case runs did not run; exit code \(report.exitCode)",
            detail: "The results hold only the cases that finished; the run proves nothing about the rest.")]
    }

    static func className(_ id: String) -> String {
        let name = id.split(separator: "/").dropLast().joined(separator: ".")
        return name.isEmpty ? "qkdspec" : name
    }

    static func junitCase(_ r: CaseResult) -> JUnitReport.TestCase {
        let outcome: JUnitReport.Outcome
        switch r.verdict {
        case .pass, .info, .warn: outcome = .passed
        case .fail, .crash, .timeout: outcome = r.expectedFailure ? .skipped : .failure
        case .error: outcome = .error
        case .skipped, .unimplemented: outcome = .skipped
        }
        return JUnitReport.TestCase(
            name: r.iteration > 1 ? "\(r.id)#\(r.iteration)" : r.id, className: className(r.id),
            seconds: r.seconds, outcome: outcome,
            message: "\(r.verdict.rawValue)\(r.expectedFailure ? " (known failure, in the baseline)" : ""): \(r.title)",
            detail: "\(r.detail)\nrequirement (\(r.level.rawValue)): \(r.requirement)\nreference: \(r.reference)\nseed: \(r.seed)\nreproduce: \(r.reproduce)"
                + (r.evidence.map { "\nevidence: \($0)" } ?? ""))
    }
}
