import Foundation
import QKDMath

/// The result of one case (one iteration of it, with `--repeat`), as reports show it.
package struct CaseResult: Sendable, Codable {
    package var id: String
    package var title: String
    package var level: RequirementLevel
    package var reference: String
    package var requirement: String
    package var verdict: Verdict
    package var detail: String
    package var seed: UInt64
    /// 1-based; above 1 only with `--repeat`.
    package var iteration: Int
    package var seconds: Double
    package var measurements: [String: Double]
    /// One line that reruns this case alone.
    package var reproduce: String
    /// The baseline lists this failure as known: it does not fail the run.
    package var expectedFailure: Bool
    /// The baseline lists this case as failing, but it passed.
    package var unexpectedPass: Bool
    /// Where this case's evidence went (`--evidence`).
    package var evidence: String?

    enum CodingKeys: String, CodingKey {
        case id, title, level, reference, requirement, verdict, detail, seed, iteration, seconds, measurements, reproduce, evidence
        case expectedFailure = "expected_failure", unexpectedPass = "unexpected_pass"
    }

    /// Whether this result fails the run (a failure the baseline does not excuse).
    package var failsRun: Bool { verdict.failsRun && !expectedFailure }
}

/// A case iteration an interrupted run did not run (or did not finish).
package struct NotRunCase: Sendable, Codable, Equatable {
    package var id: String
    package var iteration: Int

    package init(id: String, iteration: Int) {
        self.id = id
        self.iteration = iteration
    }
}

/// A whole run: what was selected, what came out, and the exit code it earns.
package struct RunReport: Sendable, Codable {
    /// The report format this qkdspec writes and reads (docs/report-schema.json).
    package static let currentSchema = 2
    /// The exit code (and JSON `exit_code`) of an interrupted run, as a shell reports SIGINT.

    package var tool = "qkdspec"
    package var schema = RunReport.currentSchema
    package var version: String
    package var target: String
    package var profile: String
    package var seed: UInt64
    /// "I/N" when the run was one shard of N.
    package var shard: String?
    package var startedAt: String
    package var seconds: Double
    package var results: [CaseResult]
    package var counts: [String: Int]
    package var exitCode: Int32
    /// The run was stopped (SIGINT/SIGTERM) before every selected case ran: it proves nothing
    /// about ``notRun``, and its exit code is 130 whatever the results.
    package var interrupted = false
    /// The selected case iterations that did not run (empty unless ``interrupted``).
    package var notRun: [NotRunCase] = []

    enum CodingKeys: String, CodingKey {
        case tool, schema, version, target, profile, seed, shard, results, counts, interrupted
        case startedAt = "started_at", seconds, exitCode = "exit_code", notRun = "not_run"
    }

    package init(version: String, target: String, profile: String, seed: UInt64, shard: String?, startedAt: String, seconds: Double,
                results: [CaseResult], counts: [String: Int], exitCode: Int32, interrupted: Bool = false, notRun: [NotRunCase] = []) {
        self.version = version
        self.target = target
        self.profile = profile
        self.seed = seed
        self.shard = shard
        self.startedAt = startedAt
        self.seconds = seconds
        self.results = results
        self.counts = counts
        self.exitCode = exitCode
        self.interrupted = interrupted
        self.notRun = notRun
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        tool = try c.decode(String.self, forKey: .tool)
        schema = try c.decode(Int.self, forKey: .schema)
        // Every other field is read only in the schema this qkdspec knows.
        guard tool == "qkdspec", schema == Self.currentSchema else {
            throw HarnessError("it is a \(tool) report of schema \(schema); this qkdspec reads schema \(Self.currentSchema) (rerun the shards with this version)")
        }
        version = try c.decode(String.self, forKey: .version)
        target = try c.decode(String.self, forKey: .target)
        profile = try c.decode(String.self, forKey: .profile)
        seed = try c.decode(UInt64.self, forKey: .seed)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        seconds = try c.decode(Double.self, forKey: .seconds)
        results = try c.decode([CaseResult].self, forKey: .results)
        counts = try c.decode([String: Int].self, forKey: .counts)
        exitCode = try c.decode(Int32.self, forKey: .exitCode)
        interrupted = try c.decode(Bool.self, forKey: .interrupted)
        notRun = try c.decode([NotRunCase].self, forKey: .notRun)
    }

    /// The exit code `results` earn: 1 for a failure the baseline does not excuse, 3 when the
    /// harness could not run a case, 0 otherwise (130 for an interrupted run, whatever they are).
    package static func exitCode(_ results: [CaseResult], interrupted: Bool = false) -> Int32 {
        if interrupted { return ExitStatus.interrupted }
        if results.contains(where: \.failsRun) { return ExitStatus.conformanceFailure }
        if results.contains(where: { $0.verdict == .error }) { return ExitStatus.harnessFailure }
        return ExitStatus.success
    }

    package static func counts(_ results: [CaseResult]) -> [String: Int] {
        var counts = [String: Int]()
        for r in results { counts[r.verdict.rawValue, default: 0] += 1 }
        return counts
    }

    /// The longest a run (or a case) may plausibly have taken; a report saying more is damaged.
    static let plausibleSeconds = 30.0 * 86_400

    /// Shard reports combined into the report of the whole run: results in the order given,
    /// counts and exit code recomputed. Refused (with the reason): an interrupted report, reports
    /// of different targets, seeds or profiles, an incomplete or repeated set of shards, a mix of
    /// sharded and whole runs, and negative or absurd times.
    package static func merged(_ reports: [RunReport], names: [String]? = nil) throws -> RunReport {
        guard var first = reports.first else { throw HarnessError("nothing to merge") }
        let names = names ?? reports.indices.map { "report \($0 + 1)" }
        for (report, name) in zip(reports, names) {
            if report.interrupted {
                throw HarnessError("\(name) is of an interrupted run (\(report.notRun.count) case runs did not run): rerun that shard; an interrupted report cannot be merged")
            }
            guard report.seconds.isFinite, (0...plausibleSeconds).contains(report.seconds) else {
                throw HarnessError("\(name): its run time \(report.seconds) s is negative or absurd; the report is damaged")
            }
            if let bad = report.results.first(where: { !$0.seconds.isFinite || !(0...plausibleSeconds).contains($0.seconds) }) {
                throw HarnessError("\(name): case \(bad.id) took \(bad.seconds) s, a negative or absurd time; the report is damaged")
            }
        }
        let targets = Set(reports.map(\.target)), seeds = Set(reports.map(\.seed)), profiles = Set(reports.map(\.profile))
        guard targets.count == 1 else { throw HarnessError("the reports test different targets: \(targets.sorted().joined(separator: ", "))") }
        guard seeds.count == 1 else { throw HarnessError("the reports ran with different seeds (\(seeds.sorted().map(String.init).joined(separator: ", "))): rerun the shards with one --seed") }
        guard profiles.count == 1 else { throw HarnessError("the reports ran different profiles (\(profiles.sorted().joined(separator: ", "))): rerun the shards with one --profile") }
        try checkShards(reports, names: names)
        var seen = Set<String>()
        var results: [CaseResult] = []
        for r in reports.flatMap(\.results) {
            guard seen.insert("\(r.id)#\(r.iteration)").inserted else { throw HarnessError("case \(r.id) (iteration \(r.iteration)) is in more than one report") }
            results.append(r)
        }
        first.results = results
        first.shard = nil
        first.seconds = reports.map(\.seconds).max() ?? 0
        first.startedAt = reports.map(\.startedAt).min() ?? first.startedAt
        first.counts = counts(results)
        first.exitCode = exitCode(results)
        return first
    }

    /// Either no report is a shard, or they are exactly shards 1 … N of one N.
    static func checkShards(_ reports: [RunReport], names: [String]) throws {
        let shards = try zip(reports, names).map { report, name -> Shard? in
            guard let text = report.shard else { return nil }
            do { return try Shard(parsing: text) } catch { throw HarnessError("\(name): its shard '\(text)' is not I/N") }
        }
        if shards.allSatisfy({ $0 == nil }) { return }
        if let whole = shards.firstIndex(where: { $0 == nil }), let part = shards.firstIndex(where: { $0 != nil }) {
            throw HarnessError("\(names[part]) is one shard of a run but \(names[whole]) is a whole run: merge the shards of one run")
        }
        let given = shards.compactMap { $0 }
        let totals = Set(given.map(\.count))
        guard totals.count == 1, let total = totals.first else {
            throw HarnessError("the reports are shards of different splits (\(given.map(\.description).joined(separator: ", ")))")
        }
        var seen = Set<Int>()
        for (shard, name) in zip(given, names) where !seen.insert(shard.index).inserted {
            throw HarnessError("shard \(shard.description) is given twice (\(name) again)")
        }
        let missing = (0..<total).filter { !seen.contains($0) }.map { "\($0 + 1)/\(total)" }
        guard missing.isEmpty else {
            throw HarnessError("incomplete set of shards: \(missing.joined(separator: ", ")) missing; merge needs every shard of the run")
        }
    }
}

/// One shard of a run split across machines: shard `index` (0-based) of `count`.
package struct Shard: Sendable, Equatable {
    package var index: Int
    package var count: Int

    /// Parses `I/N` (1-based I, as people count).
    package init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else {
            throw HarnessError("--shard takes I/N with 1 ≤ I ≤ N, as in --shard 2/4")
        }
        index = i - 1
        count = n
    }

    package init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Bazel's test sharding (TEST_TOTAL_SHARDS, TEST_SHARD_INDEX, 0-based), when present.
    package static func fromEnvironment(_ env: [String: String]) throws -> Shard? {
        guard let total = env["TEST_TOTAL_SHARDS"] else { return nil }
        guard let n = Int(total), n >= 1, let i = Int(env["TEST_SHARD_INDEX"] ?? ""), (0..<n).contains(i) else {
            throw HarnessError("TEST_TOTAL_SHARDS=\(total) needs TEST_SHARD_INDEX in 0 ..< \(total)")
        }
        return Shard(index: i, count: n)
    }

    package var description: String { "\(index + 1)/\(count)" }
}

/// Selects and runs cases, sequentially, each with its own seed derived from the run's seed.
package struct Runner: Sendable {
    package var target: any SessionTarget
    package var profile: Profile
    package var include: [String]
    package var exclude: [String]
    package var seed: UInt64
    package var version: String
    package var repeatCount = 1
    /// Run only this iteration of each case (`--iteration K`, which a reproduce line of a
    /// `--repeat` run gives): its seed is the one iteration K of `repeatCount` had.
    package var onlyIteration: Int?
    package var shard: Shard?
    package var baseline: ExpectedFailures?
    /// The known-answer vectors directory for the vector cases (nil: they are skipped).
    package var vectorsDirectory: String?
    /// The captures directory with its manifest.json, for the `capture/replay/…` cases (nil: skipped).
    package var capturesDirectory: String?

    package init(target: any SessionTarget, profile: Profile, include: [String], exclude: [String], seed: UInt64, version: String) {
        self.target = target
        self.profile = profile
        self.include = include
        self.exclude = exclude
        self.seed = seed
        self.version = version
    }

    /// The cases the profile, the globs and the shard select, in catalogue order. Shards deal the
    /// profile's cases round-robin, so every shard gets a share of the slow ones.
    package func selection(from catalogue: [ConformanceCase] = Catalogue.all) -> [ConformanceCase] {
        // A case renamed since keeps answering to its old ID.
        let include = include.map(Catalogue.currentID), exclude = exclude.map(Catalogue.currentID)
        let chosen = catalogue.filter { c in
            c.profiles.contains(profile)
                && (include.isEmpty || include.contains { Glob.matches($0, c.id) })
                && !exclude.contains { Glob.matches($0, c.id) }
        }
        guard let shard else { return chosen }
        return chosen.enumerated().filter { $0.offset % shard.count == shard.index }.map(\.element)
    }

    /// A case's seed: the run seed mixed with the case ID (and the iteration), so adding cases
    /// never shifts others. Kept to 53 bits, so every JSON reader holds it exactly.
    package func seed(for id: String, iteration: Int = 1) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        for _ in 1..<max(1, iteration) { h = (h ^ 0x9E37_79B9_7F4A_7C15) &* 0x0000_0100_0000_01B3 }
        return (h ^ (h >> 53)) & ((1 << 53) - 1)
    }

    /// The iterations every case runs.
    package var iterations: [Int] { onlyIteration.map { [$0] } ?? Array(1...max(1, repeatCount)) }

    /// Runs `cases` (`repeatCount` times each, or ``onlyIteration``). `onStart` is told before
    /// each case, `onResult` after it with the outcome's session (for evidence). A cancelled task
    /// stops at once: the case in flight (whose processes were stopped) is not counted, and the
    /// report is marked interrupted with the case iterations that did not run.
    /// `reproduceCommand` is the command line up to the case's own options (`--case`, `--seed`,
    /// and `--iteration` when a case runs more than once).
    package func run(_ cases: [ConformanceCase], reproduceCommand: String,
                    onStart: @Sendable (ConformanceCase, Int, Int) -> Void = { _, _, _ in },
                    onResult: @Sendable (inout CaseResult, Session?, Int, Int) -> Void = { _, _, _, _ in }) async -> RunReport {
        let started = Date()
        let clock = ContinuousClock.now
        var results = [CaseResult]()
        let iterations = self.iterations
        let total = cases.count * iterations.count
        var done = 0
        let runKeys = RunKeyLedger()
        var interrupted = false
        outer: for c in cases {
            for iteration in iterations {
                if Task.isCancelled { interrupted = true; break outer }
                onStart(c, done, total)
                let caseSeed = seed(for: c.id, iteration: iteration)
                let t0 = ContinuousClock.now
                let verdict: Verdict, detail: String, measurements: [String: Double]
                var session: Session?
                do {
                    let outcome = try await c.check(CaseContext(target: target, seed: caseSeed, vectors: vectorsDirectory, captures: capturesDirectory, runKeys: runKeys))
                    measurements = outcome.measurements
                    detail = outcome.detail
                    session = outcome.session
                    if let own = outcome.verdict { verdict = own } else if outcome.holds { verdict = .pass } else {
                        switch c.level {
                        case .must: verdict = .fail
                        case .should: verdict = .warn
                        case .may: verdict = .info
                        }
                    }
                } catch is CancellationError {
                    interrupted = true
                    break outer
                } catch {
                    verdict = .error
                    detail = "the harness could not run this case: \(error)"
                    measurements = [:]
                }
                if Task.isCancelled {
                    // Stopped mid-case: whatever it saw of its killed processes says nothing of the stack.
                    if let session { target.release(session) }
                    interrupted = true
                    break outer
                }
                let d = ContinuousClock.now - t0
                let known = baseline?.lists(c.id) ?? false
                var result = CaseResult(
                    id: c.id, title: c.title, level: c.level, reference: c.reference, requirement: c.requirement, verdict: verdict,
                    detail: detail, seed: caseSeed, iteration: iteration,
                    seconds: d.inSeconds,
                    measurements: measurements, reproduce: "\(reproduceCommand) --case \(c.id) --seed \(seed)"
                        + (iterations.count > 1 || iteration > 1 ? " --iteration \(iteration)" : ""),
                    expectedFailure: known && verdict.failsRun, unexpectedPass: known && verdict == .pass, evidence: nil)
                done += 1
                onResult(&result, session, done, total)
                if let session { target.release(session) }
                results.append(result)
            }
        }
        let elapsed = ContinuousClock.now - clock
        let ran = Set(results.map { "\($0.id)#\($0.iteration)" })
        let notRun = interrupted
            ? cases.flatMap { c in iterations.map { NotRunCase(id: c.id, iteration: $0) } }.filter { !ran.contains("\($0.id)#\($0.iteration)") }
            : []
        return RunReport(
            version: version, target: target.name, profile: profile.rawValue, seed: seed, shard: shard?.description,
            startedAt: ISO8601DateFormatter().string(from: started),
            seconds: elapsed.inSeconds, results: results,
            counts: RunReport.counts(results), exitCode: RunReport.exitCode(results, interrupted: interrupted),
            interrupted: interrupted, notRun: notRun)
    }
}

/// Shell-style globs over case IDs: `*` any run of characters (across `/`), `?` one character.
package enum Glob {
    package static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) { pi += 1; ti += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
