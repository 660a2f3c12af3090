import Foundation

/// The result of one case (one iteration of it, with `--repeat`), as reports show it.
public struct CaseResult: Sendable, Codable {
    public var id: String
    public var title: String
    public var level: RequirementLevel
    public var reference: String
    public var requirement: String
    public var verdict: Verdict
    public var detail: String
    public var seed: UInt64
    /// 1-based; above 1 only with `--repeat`.
    public var iteration: Int
    public var seconds: Double
    public var measurements: [String: Double]
    /// One line that reruns this case alone.
    public var reproduce: String
    /// The baseline lists this failure as known: it does not fail the run.
    public var expectedFailure: Bool
    /// The baseline lists this case as failing, but it passed.
    public var unexpectedPass: Bool
    /// Where this case's evidence went (`--evidence`).
    public var evidence: String?

    enum CodingKeys: String, CodingKey {
        case id, title, level, reference, requirement, verdict, detail, seed, iteration, seconds, measurements, reproduce, evidence
        case expectedFailure = "expected_failure", unexpectedPass = "unexpected_pass"
    }

    /// Whether this result fails the run (a failure the baseline does not excuse).
    public var failsRun: Bool { verdict.failsRun && !expectedFailure }
}

/// A whole run: what was selected, what came out, and the exit code it earns.
public struct RunReport: Sendable, Codable {
    public var tool = "qkdspec"
    public var schema = 1
    public var version: String
    public var target: String
    public var profile: String
    public var seed: UInt64
    /// "I/N" when the run was one shard of N.
    public var shard: String?
    public var startedAt: String
    public var seconds: Double
    public var results: [CaseResult]
    public var counts: [String: Int]
    public var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case tool, schema, version, target, profile, seed, shard, results, counts
        case startedAt = "started_at", seconds, exitCode = "exit_code"
    }

    /// The exit code `results` earn: 1 for a failure the baseline does not excuse, 3 when the
    /// harness could not run a case, 0 otherwise.
    public static func exitCode(_ results: [CaseResult]) -> Int32 {
        if results.contains(where: \.failsRun) { return ExitStatus.conformanceFailure }
        if results.contains(where: { $0.verdict == .error }) { return ExitStatus.harnessFailure }
        return ExitStatus.success
    }

    public static func counts(_ results: [CaseResult]) -> [String: Int] {
        var counts = [String: Int]()
        for r in results { counts[r.verdict.rawValue, default: 0] += 1 }
        return counts
    }

    /// Shard reports (or any reports of one target) combined: results in the order given,
    /// counts and exit code recomputed.
    public static func merged(_ reports: [RunReport]) throws -> RunReport {
        guard var first = reports.first else { throw HarnessError("nothing to merge") }
        let targets = Set(reports.map(\.target)), seeds = Set(reports.map(\.seed))
        guard targets.count == 1 else { throw HarnessError("the reports test different targets: \(targets.sorted().joined(separator: ", "))") }
        guard seeds.count == 1 else { throw HarnessError("the reports ran with different seeds (\(seeds.sorted().map(String.init).joined(separator: ", "))): rerun the shards with one --seed") }
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
}

/// One shard of a run split across machines: shard `index` (0-based) of `count`.
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    /// Parses `I/N` (1-based I, as people count).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else {
            throw HarnessError("--shard takes I/N with 1 ≤ I ≤ N, as in --shard 2/4")
        }
        index = i - 1
        count = n
    }

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Bazel's test sharding (TEST_TOTAL_SHARDS, TEST_SHARD_INDEX, 0-based), when present.
    public static func fromEnvironment(_ env: [String: String]) throws -> Shard? {
        guard let total = env["TEST_TOTAL_SHARDS"] else { return nil }
        guard let n = Int(total), n >= 1, let i = Int(env["TEST_SHARD_INDEX"] ?? ""), (0..<n).contains(i) else {
            throw HarnessError("TEST_TOTAL_SHARDS=\(total) needs TEST_SHARD_INDEX in 0 ..< \(total)")
        }
        return Shard(index: i, count: n)
    }

    public var description: String { "\(index + 1)/\(count)" }
}

/// Selects and runs cases, sequentially, each with its own seed derived from the run's seed.
public struct Runner: Sendable {
    public var target: any SessionTarget
    public var profile: Profile
    public var include: [String]
    public var exclude: [String]
    public var seed: UInt64
    public var version: String
    public var repeatCount = 1
    public var shard: Shard?
    public var baseline: ExpectedFailures?
    /// The known-answer vectors directory for the vector cases (nil: they are skipped).
    public var vectorsDirectory: String?

    public init(target: any SessionTarget, profile: Profile, include: [String], exclude: [String], seed: UInt64, version: String) {
        self.target = target
        self.profile = profile
        self.include = include
        self.exclude = exclude
        self.seed = seed
        self.version = version
    }

    /// The cases the profile, the globs and the shard select, in catalogue order. Shards deal the
    /// profile's cases round-robin, so every shard gets a share of the slow ones.
    public func selection(from catalogue: [ConformanceCase] = Catalogue.all) -> [ConformanceCase] {
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
    public func seed(for id: String, iteration: Int = 1) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        for _ in 1..<max(1, iteration) { h = (h ^ 0x9E37_79B9_7F4A_7C15) &* 0x0000_0100_0000_01B3 }
        return (h ^ (h >> 53)) & ((1 << 53) - 1)
    }

    /// Runs `cases` (`repeatCount` times each). `onStart` is told before each case, `onResult`
    /// after it with the outcome's session (for evidence); a cancelled task stops between cases.
    public func run(_ cases: [ConformanceCase], reproduceCommand: String,
                    onStart: @Sendable (ConformanceCase, Int, Int) -> Void = { _, _, _ in },
                    onResult: @Sendable (inout CaseResult, Session?, Int, Int) -> Void = { _, _, _, _ in }) async -> RunReport {
        let started = Date()
        let clock = ContinuousClock.now
        var results = [CaseResult]()
        let total = cases.count * repeatCount
        var done = 0
        let runKeys = RunKeyLedger()
        outer: for c in cases {
            for iteration in 1...repeatCount {
                if Task.isCancelled { break outer }
                onStart(c, done, total)
                let caseSeed = seed(for: c.id, iteration: iteration)
                let t0 = ContinuousClock.now
                let verdict: Verdict, detail: String, measurements: [String: Double]
                var session: Session?
                do {
                    let outcome = try await c.check(CaseContext(target: target, seed: caseSeed, vectors: vectorsDirectory, runKeys: runKeys))
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
                    break outer
                } catch {
                    verdict = .error
                    detail = "the harness could not run this case: \(error)"
                    measurements = [:]
                }
                let d = ContinuousClock.now - t0
                let known = baseline?.lists(c.id) ?? false
                var result = CaseResult(
                    id: c.id, title: c.title, level: c.level, reference: c.reference, requirement: c.requirement, verdict: verdict,
                    detail: detail, seed: caseSeed, iteration: iteration,
                    seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18,
                    measurements: measurements, reproduce: "\(reproduceCommand) --case \(c.id) --seed \(seed)",
                    expectedFailure: known && verdict.failsRun, unexpectedPass: known && verdict == .pass, evidence: nil)
                done += 1
                onResult(&result, session, done, total)
                if let session { target.release(session) }
                results.append(result)
            }
        }
        let elapsed = ContinuousClock.now - clock
        return RunReport(
            version: version, target: target.name, profile: profile.rawValue, seed: seed, shard: shard?.description,
            startedAt: ISO8601DateFormatter().string(from: started),
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, results: results,
            counts: RunReport.counts(results), exitCode: RunReport.exitCode(results))
    }
}

/// Shell-style globs over case IDs: `*` any run of characters (across `/`), `?` one character.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
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
