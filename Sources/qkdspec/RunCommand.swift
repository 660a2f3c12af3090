import ArgumentParser
import Foundation
import Harness
import Node
import Reports

/// `qkdspec run`: test a QKD stack case by case.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the conformance cases against a QKD stack (default: the embedded reference stack).",
        discussion: """
            Each case drives the target, judges what it did against the simulator's ground truth and
            the security bounds, and gives a verdict tied to a requirement. The embedded reference
            stack runs in this process, its control channel passing through the harness, which
            counts what is disclosed and can replay or alter frames.

            This release runs the reference stack only: target files, the shim, captures, the proxy
            over real sockets and the HTML/evidence reports are still to come (see `qkdspec list`).

            Examples:
              qkdspec run
              qkdspec run --include 'bb84/abort/*' --json report.json --junit report.xml
              qkdspec run --case bb84/keys/agreement --seed 7
              qkdspec run --reference-bug overclaim-key-length

            Exit codes: 0 every MUST case passed, 1 a conformance failure, 2 usage error (including
            no case selected), 3 the harness could not run, 130 interrupted (SIGINT/SIGTERM: the
            reports still hold the cases that ran).
            """
    )

    @Option(help: "Profile: quick, ci or full.")
    var profile = "quick"

    @Option(help: "Only cases whose ID matches this glob (repeatable).")
    var include: [String] = []

    @Option(help: "Leave out cases whose ID matches this glob (repeatable).")
    var exclude: [String] = []

    @Option(name: .customLong("case"), help: "Run this one case (its reproduce line gives it).")
    var caseID: String?

    @Option(help: "Seed of every random choice (default: fresh, printed).")
    var seed: UInt64?

    @Option(name: .customLong("reference-bug"), help: "Switch on a bug knob of the reference stack (repeatable); see qkdspec node --list-bugs.")
    var referenceBugs: [String] = []

    @Option(help: "Write the JSON report here.")
    var json: String?

    @Option(help: "Write a JUnit XML report here (failure = conformance failure, error = harness problem).")
    var junit: String?

    @Flag(help: "Only the summary.")
    var quiet = false

    @Flag(help: "Details and measurements for every case.")
    var verbose = false

    func run() async throws {
        guard let profile = Profile(rawValue: profile) else {
            throw UsageError("--profile must be one of \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var bugs = Set<BugKnob>()
        for b in referenceBugs {
            guard let k = BugKnob(rawValue: b) else { throw UsageError("unknown bug knob '\(b)'; see qkdspec node --list-bugs") }
            bugs.insert(k)
        }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var includes = include
        if let caseID { includes = [caseID] }
        var target = ReferenceTarget(bugs: bugs)
        target.executable = ChildProcess.selfExecutable
        let runner = Runner(
            target: target,
            targetName: bugs.isEmpty ? "reference" : "reference with " + bugs.map(\.rawValue).sorted().joined(separator: ", "),
            profile: profile, include: includes, exclude: exclude, seed: runSeed, version: QKDSpecVersion.current)
        let cases = runner.selection()
        guard !cases.isEmpty else { throw UsageError("no case selected: check --profile, --include, --exclude and --case (qkdspec list shows the IDs)") }

        let console = Console(quiet: quiet, verbose: verbose)
        console.header(target: runner.targetName, profile: profile.rawValue, seed: runSeed, cases: cases.count)
        let bugArguments = bugs.map { " --reference-bug \($0.rawValue)" }.sorted().joined()
        let stop = StopRequest()
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in stop.request() }
        let work = Task { () throws -> RunReport in
            await runner.run(cases, reproduceCommand: "qkdspec run\(bugArguments)") { result, done, total in
                console.result(result, done: done, total: total)
            }
        }
        stop.attach(work)
        let report = try await work.value
        signals.cancel()
        console.summary(report)
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            do { try encoder.encode(report).write(to: URL(fileURLWithPath: json)) } catch {
                throw UsageError("cannot write the JSON report to \(json): \(error.localizedDescription)")
            }
        }
        if let junit {
            do { try Self.junit(report).render().write(toFile: junit, atomically: true, encoding: .utf8) } catch {
                throw UsageError("cannot write the JUnit report to \(junit): \(error.localizedDescription)")
            }
        }
        if report.results.count < cases.count {
            // Interrupted: the reports hold what ran, but the run proves nothing about the rest.
            FileHandle.standardError.write(Data("interrupted: \(report.results.count) of \(cases.count) cases ran\n".utf8))
            throw ExitCode(130)
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    static func junit(_ report: RunReport) -> JUnitReport {
        JUnitReport(
            suiteName: "qkdspec run (\(report.target))", timestamp: report.startedAt,
            properties: [("seed", String(report.seed)), ("profile", report.profile), ("target", report.target), ("version", report.version)],
            cases: report.results.map { r in
                let outcome: JUnitReport.Outcome
                switch r.verdict {
                case .pass, .info, .warn: outcome = .passed
                case .fail, .crash, .timeout: outcome = .failure
                case .error: outcome = .error
                case .skipped, .unimplemented: outcome = .skipped
                }
                let className = r.id.split(separator: "/").dropLast().joined(separator: ".")
                return JUnitReport.TestCase(
                    name: r.id, className: className.isEmpty ? "qkdspec" : className, seconds: r.seconds, outcome: outcome,
                    message: "\(r.verdict.rawValue): \(r.title)",
                    detail: "\(r.detail)\nrequirement (\(r.level.rawValue)): \(r.requirement)\nreference: \(r.reference)\nseed: \(r.seed)\nreproduce: \(r.reproduce)")
            })
    }
}

/// Console output: a line per case, colour on a terminal unless NO_COLOR is set.
struct Console: Sendable {
    let quiet: Bool
    let verbose: Bool
    let colour = isatty(1) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil

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

    func header(target: String, profile: String, seed: UInt64, cases: Int) {
        guard !quiet else { return }
        print("qkdspec run — target: \(target); profile \(profile); \(cases) cases; seed \(seed)")
    }

    func result(_ r: CaseResult, done: Int, total: Int) {
        guard !quiet else { return }
        let tag = paint(r.verdict.rawValue.uppercased().padding(toLength: 5, withPad: " ", startingAt: 0), r.verdict)
        print("\(tag) [\(done)/\(total)] \(r.id)  (\(r.level.rawValue), \(String(format: "%.1f", r.seconds)) s)")
        if verbose || r.verdict != .pass {
            print("      \(r.detail)")
            if r.verdict != .pass { print("      requirement: \(r.requirement)\n      reproduce: \(r.reproduce)") }
        }
    }

    func summary(_ report: RunReport) {
        let order: [Verdict] = [.pass, .fail, .warn, .info, .unimplemented, .skipped, .error, .timeout, .crash]
        let parts = order.compactMap { v in report.counts[v.rawValue].map { "\($0) \(v.rawValue)" } }
        print("\(report.results.count) cases in \(String(format: "%.1f", report.seconds)) s: " + parts.joined(separator: ", "))
    }
}

/// `qkdspec list`: the case catalogue.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List the conformance cases (Markdown or JSON).",
        discussion: "docs/test-catalogue.md is this command's Markdown output; a test keeps it current.")

    @Option(help: "Profile: quick, ci or full.")
    var profile = "full"

    @Option(help: "markdown or json.")
    var format = "markdown"

    func run() throws {
        guard let p = Profile(rawValue: profile) else { throw UsageError("--profile must be quick, ci or full") }
        let cases = Catalogue.all.filter { $0.profiles.contains(p) }
        switch format {
        case "json":
            struct Entry: Encodable { var id, title, level, requirement, reference: String; var tags: [String] }
            try printJSON(cases.map { Entry(id: $0.id, title: $0.title, level: $0.level.rawValue, requirement: $0.requirement,
                                            reference: $0.reference, tags: $0.tags) })
        case "markdown":
            print(Self.markdown(cases, profile: p.rawValue), terminator: "")
        default:
            throw UsageError("--format must be markdown or json")
        }
    }

    static func markdown(_ cases: [ConformanceCase], profile: String) -> String {
        var s = "# Test catalogue\n\nGenerated by `qkdspec list --profile \(profile) --format markdown`; do not edit by hand.\n\n"
        s += "| ID | level | requirement | reference |\n|---|---|---|---|\n"
        for c in cases {
            s += "| `\(c.id)` | \(c.level.rawValue) | \(c.requirement.replacingOccurrences(of: "|", with: "\\|")) | \(c.reference) |\n"
        }
        return s
    }
}
