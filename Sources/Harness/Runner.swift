import Foundation

/// The result of one case, as reports show it.
public struct CaseResult: Sendable, Codable {
    public var id: String
    public var title: String
    public var level: RequirementLevel
    public var reference: String
    public var requirement: String
    public var verdict: Verdict
    public var detail: String
    public var seed: UInt64
    public var seconds: Double
    public var measurements: [String: Double]
    /// One line that reruns this case alone.
    public var reproduce: String
}

/// A whole run: what was selected, what came out, and the exit code it earns.
public struct RunReport: Sendable, Codable {
    public var tool = "qkdspec"
    public var version: String
    public var target: String
    public var profile: String
    public var seed: UInt64
    public var startedAt: String
    public var seconds: Double
    public var results: [CaseResult]
    public var counts: [String: Int]
    public var exitCode: Int32

    enum CodingKeys: String, CodingKey {
        case tool, version, target, profile, seed, results, counts
        case startedAt = "started_at", seconds, exitCode = "exit_code"
    }
}

/// Selects and runs cases, sequentially, each with its own seed derived from the run's seed.
public struct Runner: Sendable {
    public var target: ReferenceTarget
    public var targetName: String
    public var profile: Profile
    public var include: [String]
    public var exclude: [String]
    public var seed: UInt64
    public var version: String

    public init(target: ReferenceTarget, targetName: String, profile: Profile, include: [String], exclude: [String], seed: UInt64, version: String) {
        self.target = target
        self.targetName = targetName
        self.profile = profile
        self.include = include
        self.exclude = exclude
        self.seed = seed
        self.version = version
    }

    /// The cases the profile and the globs select, in catalogue order.
    public func selection(from catalogue: [ConformanceCase] = Catalogue.all) -> [ConformanceCase] {
        catalogue.filter { c in
            c.profiles.contains(profile)
                && (include.isEmpty || include.contains { Glob.matches($0, c.id) })
                && !exclude.contains { Glob.matches($0, c.id) }
        }
    }

    /// A case's seed: the run seed mixed with the case ID, so adding cases never shifts others.
    public func seed(for id: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325 ^ seed
        for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01B3 }
        return h
    }

    public func run(_ cases: [ConformanceCase], reproduceCommand: String,
                    onResult: @Sendable (CaseResult, Int, Int) -> Void = { _, _, _ in }) async -> RunReport {
        let started = Date()
        let clock = ContinuousClock.now
        var results = [CaseResult]()
        for (i, c) in cases.enumerated() {
            if Task.isCancelled { break }
            let caseSeed = seed(for: c.id)
            let t0 = ContinuousClock.now
            let verdict: Verdict, detail: String, measurements: [String: Double]
            do {
                let outcome = try await c.check(CaseContext(target: target, seed: caseSeed))
                measurements = outcome.measurements
                detail = outcome.detail
                if let own = outcome.verdict { verdict = own } else if outcome.holds { verdict = .pass } else {
                    switch c.level {
                    case .must: verdict = .fail
                    case .should: verdict = .warn
                    case .may: verdict = .info
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                verdict = .error
                detail = "the harness could not run this case: \(error)"
                measurements = [:]
            }
            let d = ContinuousClock.now - t0
            let result = CaseResult(
                id: c.id, title: c.title, level: c.level, reference: c.reference, requirement: c.requirement, verdict: verdict,
                detail: detail, seed: caseSeed, seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18,
                measurements: measurements, reproduce: "\(reproduceCommand) --case \(c.id) --seed \(seed)")
            results.append(result)
            onResult(result, i + 1, cases.count)
        }
        var counts = [String: Int]()
        for r in results { counts[r.verdict.rawValue, default: 0] += 1 }
        let total = ContinuousClock.now - clock
        let failed = results.contains { $0.verdict.failsRun }
        let harnessError = results.contains { $0.verdict == .error }
        return RunReport(
            version: version, target: targetName, profile: profile.rawValue, seed: seed,
            startedAt: ISO8601DateFormatter().string(from: started),
            seconds: Double(total.components.seconds) + Double(total.components.attoseconds) / 1e18, results: results, counts: counts,
            exitCode: failed ? 1 : harnessError ? 3 : 0)
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
