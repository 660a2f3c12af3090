import ArgumentParser
import Foundation
import Harness
import KeyDelivery
import Node
import Reports

/// `qkdspec run`: test a QKD stack case by case.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the conformance cases against a QKD stack (default: the reference stack, as node processes on loopback).",
        discussion: """
            Each case runs sessions on simulated photons, with the harness as a man in the middle of the control channel (it decodes every frame, counts what is disclosed, records a pcap, and drops, delays, replays, reorders or alters frames as the case asks), judges what the stack did against the simulator's ground truth and the security bounds, and gives a verdict tied to a requirement (qkdspec list shows them all).

            Targets: with no --target, the harness starts two reference `qkdspec node` processes on loopback for every session. --target FILE tests another stack (docs/targets.md; example files in examples/targets/). --target in-process runs the reference engines inside this process (fastest; the node processes are still used for the robustness cases).

            Examples:
              qkdspec run
              qkdspec run --junit r.xml --json r.json --html r.html --evidence evidence/
              qkdspec run --target examples/targets/reference.json --profile ci
              qkdspec run --case bb84/keys/agreement --seed 7 --repeat 5
              qkdspec run --reference-bug overclaim-key-length
              qkdspec run --self-test --html selftest.html
              qkdspec run --shard 2/4 --seed 7 --json s2.json
              qkdspec merge s1.json s2.json s3.json s4.json --html all.html
              qkdspec run --write-expected baseline.json
              qkdspec run --expected baseline.json

            Exit codes: 0 every MUST case passed (or failed as the --expected baseline lists), 1 a conformance failure, 2 usage or configuration error (including no case selected), 3 the harness could not run a case, 130 interrupted (SIGINT/SIGTERM: the reports still hold the cases that ran).
            """
    )

    @Option(help: "Target file (JSON, docs/targets.md), or 'in-process'. Default: the reference nodes as processes.")
    var target: String?

    @Option(help: "Profile: quick (seconds), ci, full, or etsi014 (ETSI GS QKD 014 key delivery, docs/etsi014.md).")
    var profile = "quick"

    @Option(help: "Only cases whose ID matches this glob (repeatable).")
    var include: [String] = []

    @Option(help: "Leave out cases whose ID matches this glob (repeatable).")
    var exclude: [String] = []

    @Option(name: .customLong("case"), help: "Run this one case (its reproduce line gives it).")
    var caseID: String?

    @Option(help: "Seed of every random choice (default: fresh, printed).")
    var seed: UInt64?

    @Option(name: .customLong("repeat"), help: "Run every selected case N times, each with its own seed.")
    var repeatCount = 1

    @Option(help: "Run shard I of N (1-based), e.g. 2/4; Bazel's TEST_TOTAL_SHARDS/TEST_SHARD_INDEX work too.")
    var shard: String?

    @Option(name: .customLong("reference-bug"), help: "Switch on a bug knob of the reference stack (repeatable); see qkdspec node --list-bugs.")
    var referenceBugs: [String] = []

    @Flag(name: .customLong("self-test"), help: "Run the cases against the clean reference and against each bug knob; report the kill matrix.")
    var selfTest = false

    @Option(help: "Known-answer vectors for the vector cases (default: ./vectors when it exists).")
    var vectors: String?

    @Option(name: .customLong("kill-matrix"), help: "With --self-test: write the kill matrix as Markdown here (docs/kill-matrix.md).")
    var killMatrixPath: String?

    @Option(help: "Write the JSON report here (schema: docs/report-schema.json).")
    var json: String?

    @Option(help: "Write a JUnit XML report here (failure = conformance failure, error = harness problem).")
    var junit: String?

    @Option(help: "Write the self-contained HTML report here.")
    var html: String?

    @Option(help: "Write evidence for every case that does not pass here (pcap, transcript, logs, seed, reproduce line).")
    var evidence: String?

    @Option(help: "Baseline of known failures: listed failures do not fail the run.")
    var expected: String?

    @Option(name: .customLong("write-expected"), help: "Write this run's failures as a baseline file.")
    var writeExpected: String?

    @Flag(help: "Profile etsi014: SHOULD findings fail the run.")
    var strict = false

    @Option(name: .customLong("kme-bug"), help: "Profile etsi014: switch on a bug knob of the reference KME pair (repeatable); see qkdspec kme serve --list-bugs.")
    var kmeBugs: [String] = []

    @Flag(help: "Only the summary.")
    var quiet = false

    @Flag(help: "Details and measurements for every case.")
    var verbose = false

    func validate() throws {
        guard (1...1000).contains(repeatCount) else { throw ValidationError("--repeat must lie in 1 ... 1000") }
        if selfTest && target != nil && target != "in-process" { throw ValidationError("--self-test runs the reference stack; leave out --target") }
        if selfTest && !referenceBugs.isEmpty { throw ValidationError("--self-test switches every knob itself; leave out --reference-bug") }
        if killMatrixPath != nil && !selfTest { throw ValidationError("--kill-matrix needs --self-test") }
        if selfTest && profile == "etsi014" { throw ValidationError("--self-test switches the node knobs; the KME knobs are run with --kme-bug (docs/etsi014.md)") }
        if !kmeBugs.isEmpty && profile != "etsi014" { throw ValidationError("--kme-bug needs --profile etsi014") }
    }

    func run() async throws {
        guard let profile = Profile(rawValue: profile) else {
            throw UsageError("--profile must be one of \(Profile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var bugs = Set<BugKnob>()
        for b in referenceBugs {
            guard let k = BugKnob(rawValue: b) else { throw UsageError("unknown bug knob '\(b)'; see qkdspec node --list-bugs") }
            bugs.insert(k)
        }
        let shard: Shard?
        do { shard = try self.shard.map(Shard.init(parsing:)) ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw UsageError("\(error)")
        }
        let baseline: ExpectedFailures?
        do { baseline = try expected.map(ExpectedFailures.load(path:)) } catch { throw UsageError("\(error)") }
        let evidenceWriter: EvidenceWriter?
        do { evidenceWriter = try evidence.map(EvidenceWriter.init(root:)) } catch { throw UsageError("\(error)") }

        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        var sessionTarget: any SessionTarget
        var kmePair: ReferenceKMEPair?
        if profile == .etsi014 {
            // Key delivery: a KME pair (the target file's kme object, or the reference pair).
            // The nodes feeding it (the cross-layer cases): the reference nodes, or the file's.
            let kmeFile = target == "in-process" ? nil : target
            let nodes = (kmeFile.map(ETSI014Run.fileHasNodes) ?? true) ? try makeTarget(bugs: bugs, work: work) : nil
            let (kmeTarget, pair) = try await ETSI014Run.target(path: kmeFile, strict: strict, bugs: kmeBugs, nodes: nodes)
            sessionTarget = kmeTarget
            kmePair = pair
        } else {
            sessionTarget = try makeTarget(bugs: bugs, work: work)
        }
        if evidence != nil, var processTarget = sessionTarget as? ProcessTarget {
            processTarget.keepsEvidence = true
            sessionTarget = processTarget
        }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var runner = Runner(target: sessionTarget, profile: profile, include: caseID.map { [$0] } ?? include, exclude: exclude,
                            seed: runSeed, version: QKDSpecVersion.current)
        runner.repeatCount = repeatCount
        runner.shard = shard
        runner.baseline = baseline
        if let vectors {
            guard FileManager.default.fileExists(atPath: vectors) else { throw UsageError("--vectors \(vectors): no such directory") }
            runner.vectorsDirectory = vectors
        } else if FileManager.default.fileExists(atPath: "vectors/cascade.json") {
            runner.vectorsDirectory = "vectors"
        }
        let cases = runner.selection()
        guard !cases.isEmpty else {
            if let shard, !Runner(target: sessionTarget, profile: profile, include: runner.include, exclude: exclude, seed: runSeed,
                                  version: QKDSpecVersion.current).selection().isEmpty {
                // More shards than cases: this shard has nothing to do, which is not an error.
                print("shard \(shard.description) has no case to run")
                return
            }
            throw UsageError("no case selected: check --profile, --include, --exclude and --case (qkdspec list shows the IDs)")
        }

        let console = Console(quiet: quiet, verbose: verbose)
        console.header(target: sessionTarget.name, profile: profile.rawValue, seed: runSeed, cases: cases.count, shard: shard, repeats: repeatCount)
        let reproduce = "qkdspec run" + reproduceArguments(bugs: bugs)
        let stop = StopRequest()
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in stop.request() }
        let selfTest = selfTest
        let work2 = work
        let target = target
        let task = Task { () throws -> (RunReport, KillMatrix?) in
            let report = await runner.run(cases, reproduceCommand: reproduce, onStart: { c, done, total in
                console.starting(c.id, done: done, total: total)
            }, onResult: { result, session, done, total in
                if let evidenceWriter, result.verdict != .pass, result.verdict != .skipped {
                    result.evidence = try? evidenceWriter.write(result, session: session)
                }
                console.result(result, done: done, total: total)
            })
            guard selfTest, !Task.isCancelled else { return (report, nil) }
            return (report, try await Self.killMatrix(clean: report, runner: runner, cases: cases, work: work2, inProcess: target == "in-process",
                                                  console: console))
        }
        stop.attach(task)
        let (report, matrix) = try await task.value
        await kmePair?.stop()
        signals.cancel()
        console.summary(report)
        try ReportFiles(json: json, junit: junit, html: html).write(report, killMatrix: matrix)
        if let writeExpected {
            do { try ExpectedFailures(report: report).write(to: writeExpected) } catch { throw UsageError("\(error)") }
        }
        if let path = ProcessInfo.processInfo.environment["TEST_SHARD_STATUS_FILE"], shard != nil {
            // Bazel asks a sharding-aware test to touch this file.
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        if report.results.count < cases.count * repeatCount {
            // Interrupted: the reports hold what ran, but the run proves nothing about the rest.
            FileHandle.standardError.write(Data("interrupted: \(report.results.count) of \(cases.count * repeatCount) cases ran\n".utf8))
            throw ExitCode(130)
        }
        if let matrix, let killMatrixPath {
            let text = "# Kill matrix\n\nGenerated by `qkdspec run --self-test --seed \(runSeed) --profile \(profile.rawValue) --kill-matrix docs/kill-matrix.md`; do not edit by hand.\n\n"
                + "Each column is the reference stack with one bug knob switched on; a bold verdict is a MUST case that caught it, `·` a pass. "
                + "A knob no MUST case fails would be a blind spot of the harness; `HarnessTests` asserts there is none.\n\n" + matrix.markdown()
            do { try text.write(toFile: killMatrixPath, atomically: true, encoding: .utf8) } catch {
                throw UsageError("cannot write the kill matrix to \(killMatrixPath): \(error.localizedDescription)")
            }
        }
        if let matrix {
            print(matrix.uncaught.isEmpty ? "self-test: every bug knob is caught by at least one MUST case"
                  : "self-test: NOT caught: \(matrix.uncaught.joined(separator: ", "))")
            if !matrix.uncaught.isEmpty || !matrix.cleanFailures.isEmpty { throw ExitCode(ExitStatus.conformanceFailure) }
            return
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    func reproduceArguments(bugs: Set<BugKnob>) -> String {
        var s = ""
        if let target { s += " --target \(target)" }
        s += bugs.map { " --reference-bug \($0.rawValue)" }.sorted().joined()
        return s
    }

    func makeTarget(bugs: Set<BugKnob>, work: String) throws -> any SessionTarget {
        let me = ChildProcess.selfExecutable
        switch target {
        case nil:
            return try Self.reference(bugs: bugs, inProcess: false, work: work)
        case "in-process"?:
            return try Self.reference(bugs: bugs, inProcess: true, work: work)
        case let path?:
            guard bugs.isEmpty else { throw UsageError("--reference-bug applies to the reference stack only; leave out --target") }
            do {
                let t = try ProcessTarget(file: TargetFile.load(path: path), executable: me, workRoot: work)
                try t.preflight()
                return t
            } catch {
                throw UsageError("\(error)")
            }
        }
    }

    /// The reference stack with `bugs`: node processes through the proxy, or engines in this process.
    static func reference(bugs: Set<BugKnob>, inProcess: Bool, work: String) throws -> any SessionTarget {
        let me = ChildProcess.selfExecutable
        guard !inProcess else {
            var t = InProcessTarget(bugs: bugs)
            t.executable = me
            return t
        }
        return try ProcessTarget(file: ReferenceNodeCommand(executable: me, bugs: bugs).targetFile, executable: me, workRoot: work)
    }

    /// The kill matrix: the same cases against the reference with each bug knob switched on.
    static func killMatrix(clean: RunReport, runner: Runner, cases: [ConformanceCase], work: String, inProcess: Bool,
                           console: Console) async throws -> KillMatrix {
        var verdicts: [String: [String: Verdict]] = ["clean": Dictionary(clean.results.map { ($0.id, $0.verdict) }, uniquingKeysWith: { a, b in a.failsRun ? a : b })]
        for knob in BugKnob.allCases {
            if Task.isCancelled { break }
            var r = runner
            r.baseline = nil
            r.target = try reference(bugs: [knob], inProcess: inProcess, work: work)
            let report = await r.run(cases, reproduceCommand: "qkdspec run --reference-bug \(knob.rawValue)", onStart: { c, done, total in
                console.starting("\(knob.rawValue): \(c.id)", done: done, total: total)
            })
            if !console.quiet {
                let caught = report.results.filter { $0.level == .must && $0.verdict.failsRun }.map(\.id)
                if console.progress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
                print("knob \(knob.rawValue): " + (caught.isEmpty ? "NOT CAUGHT" : "caught by \(caught.joined(separator: ", "))"))
            }
            verdicts[knob.rawValue] = Dictionary(report.results.map { ($0.id, $0.verdict) }, uniquingKeysWith: { a, b in a.failsRun ? a : b })
        }
        return KillMatrix(knobs: BugKnob.allCases.map(\.rawValue), cases: cases.map(\.id), verdicts: verdicts,
                          mustCases: Set(cases.filter { $0.level == .must }.map(\.id)))
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
            struct Entry: Encodable { var id, title, level, requirement, reference: String; var tags, profiles: [String] }
            try printJSON(cases.map { c in
                Entry(id: c.id, title: c.title, level: c.level.rawValue, requirement: c.requirement, reference: c.reference, tags: c.tags,
                      profiles: Profile.allCases.filter { c.profiles.contains($0) }.map(\.rawValue))
            })
        case "markdown":
            print(Self.markdown(cases, profile: p.rawValue), terminator: "")
        default:
            throw UsageError("--format must be markdown or json")
        }
    }

    static func markdown(_ cases: [ConformanceCase], profile: String) -> String {
        var s = "# Test catalogue\n\nGenerated by `qkdspec list --profile \(profile) --format markdown`; do not edit by hand.\n\n"
        s += "| ID | level | profiles | requirement | reference |\n|---|---|---|---|---|\n"
        for c in cases {
            let profiles = Profile.allCases.filter { c.profiles.contains($0) }.map(\.rawValue).joined(separator: ", ")
            s += "| `\(c.id)` | \(c.level.rawValue) | \(profiles) | \(c.requirement.replacingOccurrences(of: "|", with: "\\|")) | \(c.reference) |\n"
        }
        return s
    }
}
