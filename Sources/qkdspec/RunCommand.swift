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
              qkdspec run --junit r.xml --json r.json --html r.html --sarif r.sarif --evidence evidence/
              qkdspec run --target examples/targets/reference.json --profile ci
              qkdspec run --case bb84/keys/agreement --seed 7 --repeat 5
              qkdspec run --reference-bug overclaim-key-length
              qkdspec run --self-test --html selftest.html
              qkdspec run --shard 2/4 --seed 7 --json s2.json
              qkdspec merge s1.json s2.json s3.json s4.json --html all.html
              qkdspec run --write-expected baseline.json
              qkdspec run --expected baseline.json

            Exit codes: 0 no MUST case failed (or only as the --expected baseline lists; MUST cases the target leaves unimplemented are not failures, and the summary says how many were not judged), 1 a conformance failure, 2 usage or configuration error (including no case selected), 3 the harness could not run a case, 130 interrupted (SIGINT/SIGTERM: the reports still hold the cases that ran).
            """
    )

    @Option(help: "Target file (JSON, docs/targets.md), or 'in-process'. Default: the reference nodes as processes.")
    var target: String?

    @Option(help: "Which cases: quick (seconds), ci, full, or etsi014 (ETSI GS QKD 014 key delivery, docs/etsi014.md).")
    var profile = Profile.quick

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

    @Option(help: "Run only iteration K of --repeat (with its seed); a reproduce line of a repeated case gives it.")
    var iteration: Int?

    @Option(help: "Run shard I of N (1-based), e.g. 2/4; Bazel's TEST_TOTAL_SHARDS/TEST_SHARD_INDEX work too.")
    var shard: String?

    @Option(name: .customLong("reference-bug"), help: ArgumentHelp("Switch on a bug knob of the reference stack (repeatable); see qkdspec node --list-bugs.", valueName: "knob"))
    var referenceBugs: [BugKnob] = []

    @Flag(name: .customLong("self-test"), help: "Run the cases against the clean reference and against each bug knob; report the kill matrix.")
    var selfTest = false

    @Option(help: "Known-answer vectors for the vector cases (default: ./vectors when it exists).")
    var vectors: String?

    @Option(help: "The captures directory with its manifest.json, for the capture/replay cases (default: ./captures when it exists).")
    var captures: String?

    @Option(name: .customLong("kill-matrix"), help: "With --self-test: write the kill matrix as Markdown here (docs/kill-matrix.md).")
    var killMatrixPath: String?

    @Option(help: "Write the JSON report here (schema: docs/report-schema.json); '-' for standard output (the console then goes to standard error).")
    var json: String?

    @Option(help: "Write a JUnit XML report here (failure = conformance failure, error = harness problem).")
    var junit: String?

    @Option(help: "Write the self-contained HTML report here.")
    var html: String?

    @Option(help: "Write a SARIF 2.1.0 log here (a result per failed case, for code-scanning dashboards).")
    var sarif: String?

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
        if let iteration, !(1...1000).contains(iteration) { throw ValidationError("--iteration must lie in 1 ... 1000") }
        if iteration != nil && repeatCount != 1 { throw ValidationError("--iteration runs one iteration; leave out --repeat") }
        if selfTest && target != nil && target != "in-process" { throw ValidationError("--self-test runs the reference stack; leave out --target") }
        if selfTest && !referenceBugs.isEmpty { throw ValidationError("--self-test switches every knob itself; leave out --reference-bug") }
        if killMatrixPath != nil && !selfTest { throw ValidationError("--kill-matrix needs --self-test") }
        if selfTest && profile == .etsi014 { throw ValidationError("--self-test switches the node knobs; the KME knobs are run with --kme-bug (docs/etsi014.md)") }
        if !kmeBugs.isEmpty && profile != .etsi014 { throw ValidationError("--kme-bug needs --profile etsi014") }
    }

    func run() async throws {
        let bugs = Set(referenceBugs)
        let shard: Shard?
        do { shard = try self.shard.map(Shard.init(parsing:)) ?? Shard.fromEnvironment(ProcessInfo.processInfo.environment) } catch {
            throw UsageError("\(error)")
        }
        let baseline: ExpectedFailures?
        do { baseline = try expected.map(ExpectedFailures.load(path:)) } catch { throw UsageError("\(error)") }
        // Every output is checked before any case runs: a run must not end in a usage error.
        let outputs = ReportFiles(json: json, junit: junit, html: html, sarif: sarif)
        try outputs.check(others: [("--write-expected", writeExpected), ("--kill-matrix", killMatrixPath)])
        if let path = writeExpected, path == "-" { throw UsageError("--write-expected needs a file, not '-'") }
        if let path = killMatrixPath, path == "-" { throw UsageError("--kill-matrix needs a file, not '-'") }
        if outputs.usesStandardOutput { ReportFiles.moveConsoleToStandardError() }
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
        if let baseline, baseline.target != sessionTarget.name {
            FileHandle.standardError.write(Data("warning: the baseline \(expected ?? "") was written for the target '\(baseline.target)', not '\(sessionTarget.name)': its known failures may not apply\n".utf8))
        }
        let runSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var runner = Runner(target: sessionTarget, profile: profile, include: caseID.map { [$0] } ?? include, exclude: exclude,
                            seed: runSeed, version: QKDSpecVersion.current)
        runner.repeatCount = repeatCount
        runner.onlyIteration = iteration
        runner.shard = shard
        runner.baseline = baseline
        if let vectors {
            guard FileManager.default.fileExists(atPath: vectors) else { throw UsageError("--vectors \(vectors): no such directory") }
            runner.vectorsDirectory = vectors
        } else if FileManager.default.fileExists(atPath: "vectors/cascade.json") {
            runner.vectorsDirectory = "vectors"
        }
        if let captures {
            guard FileManager.default.fileExists(atPath: "\(captures)/manifest.json") else { throw UsageError("--captures \(captures): no manifest.json there") }
            runner.capturesDirectory = captures
        } else if FileManager.default.fileExists(atPath: "captures/manifest.json") {
            runner.capturesDirectory = "captures"
        }
        let cases = runner.selection()
        guard !cases.isEmpty else {
            if let shard, !Runner(target: sessionTarget, profile: profile, include: runner.include, exclude: exclude, seed: runSeed,
                                  version: QKDSpecVersion.current).selection().isEmpty {
                // More shards than cases: this shard has nothing to do, which is not an error; its
                // (empty) reports are written all the same, so merge sees every shard.
                print("shard \(shard.description) has no case to run")
                try outputs.write(await runner.run([], reproduceCommand: ""))
                return
            }
            throw UsageError("no case selected: check --profile, --include, --exclude and --case (qkdspec list shows the IDs)")
        }

        let console = Console(quiet: quiet, verbose: verbose)
        console.header(target: sessionTarget.name, profile: profile.rawValue, seed: runSeed, cases: cases.count, shard: shard, repeats: repeatCount)
        let reproduce = reproduceCommand(bugs: bugs, profile: profile, vectors: runner.vectorsDirectory, captures: runner.capturesDirectory)
        let stop = StopRequest()
        // An interrupt stops the cases at once: the processes in flight are killed (their
        // sessions would otherwise run to their deadlines), and the task stops at the next check.
        let signals = SignalTrap(signals: [SIGINT, SIGTERM]) { _ in
            stop.request()
            ChildProcess.stopAll()
        }
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
            let matrix = try await KillMatrix.run(
                clean: report, runner: runner, cases: cases,
                target: { knob in try Self.reference(bugs: [knob], inProcess: target == "in-process", work: work2) },
                onStart: { name, done, total in console.starting(name, done: done, total: total) },
                onKnob: { knob, caught in console.knob(knob.rawValue, caughtBy: caught) })
            return (report, matrix)
        }
        stop.attach(task)
        var (report, matrix) = try await task.value
        await kmePair?.stop()
        signals.cancel()
        if stop.isRequested && !report.interrupted {
            // The interrupt came as the last case ended: the run still did not end as asked.
            report.interrupted = true
            report.exitCode = ExitStatus.interrupted
        }
        console.summary(report)
        try outputs.write(report, killMatrix: matrix)
        if let writeExpected, report.interrupted {
            FileHandle.standardError.write(Data("warning: no baseline written to \(writeExpected): the run was interrupted, so its failures are not all known\n".utf8))
        } else if let writeExpected {
            do { try ExpectedFailures(report: report).write(to: writeExpected) } catch { throw UsageError("\(error)") }
        }
        if let path = ProcessInfo.processInfo.environment["TEST_SHARD_STATUS_FILE"], shard != nil {
            // Bazel asks a sharding-aware test to touch this file.
            FileManager.default.createFile(atPath: path, contents: nil)
        }
        if report.interrupted {
            // The reports hold what ran, marked interrupted; the run proves nothing about the rest.
            FileHandle.standardError.write(Data("interrupted: \(report.results.count) of \(report.results.count + report.notRun.count) case runs ran\n".utf8))
            throw ExitCode(ExitStatus.interrupted)
        }
        if let matrix, let killMatrixPath {
            let text = matrix.markdown(seed: runSeed, profile: profile.rawValue)
            do { try text.write(toFile: killMatrixPath, atomically: true, encoding: .utf8) } catch {
                throw UsageError("cannot write the kill matrix to \(killMatrixPath): \(FileProblem.reason(error))")
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

    /// The command line that reruns a case of this run, up to the case's own options: the
    /// executable that runs now (`qkdspec` need not be on PATH), the profile, and every option
    /// that changes what a case does, with absolute paths (reproduce.sh runs from anywhere).
    /// `vectors` is the directory the run uses (given, or ./vectors found), so the line works
    /// from another directory too.
    func reproduceCommand(bugs: Set<BugKnob>, profile: Profile, vectors: String?, captures: String? = nil) -> String {
        var words = [ChildProcess.selfExecutable, "run", "--profile", profile.rawValue]
        if let target { words += ["--target", target == "in-process" ? target : Self.absolute(target)] }
        words += bugs.map(\.rawValue).sorted().flatMap { ["--reference-bug", $0] }
        if let vectors { words += ["--vectors", Self.absolute(vectors)] }
        if let captures { words += ["--captures", Self.absolute(captures)] }
        return words.map(ShellWord.quote).joined(separator: " ")
    }

    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

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
}
