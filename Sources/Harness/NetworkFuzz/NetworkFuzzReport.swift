import Foundation
import Reports

/// A network-fuzz campaign's outcome: what ran, what it found, in the formats `qkdspec run`
/// writes (JSON, JUnit, HTML) and SARIF 2.1.0.
package struct NetworkFuzzReport: Sendable, Codable {
    package var tool = "qkdspec"
    package var kind = "network-fuzz"
    package var target: String
    package var seed: UInt64
    package var startedAt: String
    /// Seconds the campaign ran (minimising and rerunning a finding included), and the duration asked for.
    package var seconds: Double
    package var durationSeconds: Double
    /// Fuzzed sessions (calibration, sanity, minimisation and reruns not counted).
    package var sessions: Int
    package var behaviours: Int
    package var findings: [NetworkFinding]
    /// Suspects that did not reproduce in most reruns (flaky, or the machine was too slow).
    package var unconfirmed: [String]
    /// Sessions the harness itself could not run.
    package var harnessErrors: [String]
    package var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case tool, kind, target, seed, seconds, sessions, behaviours, findings, unconfirmed, interrupted
        case startedAt = "started_at", durationSeconds = "duration_s", harnessErrors = "harness_errors"
        case sessionsPerSecond = "sessions_per_second", exitCode = "exit_code"
    }

    package init(target: String, seed: UInt64, startedAt: String, seconds: Double, durationSeconds: Double, sessions: Int, behaviours: Int,
                findings: [NetworkFinding], unconfirmed: [String], harnessErrors: [String], interrupted: Bool) {
        self.target = target
        self.seed = seed
        self.startedAt = startedAt
        self.seconds = seconds
        self.durationSeconds = durationSeconds
        self.sessions = sessions
        self.behaviours = behaviours
        self.findings = findings
        self.unconfirmed = unconfirmed
        self.harnessErrors = harnessErrors
        self.interrupted = interrupted
    }

    package init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode(String.self, forKey: .target)
        seed = try c.decode(UInt64.self, forKey: .seed)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        seconds = try c.decode(Double.self, forKey: .seconds)
        durationSeconds = try c.decode(Double.self, forKey: .durationSeconds)
        sessions = try c.decode(Int.self, forKey: .sessions)
        behaviours = try c.decode(Int.self, forKey: .behaviours)
        findings = try c.decode([NetworkFinding].self, forKey: .findings)
        unconfirmed = try c.decode([String].self, forKey: .unconfirmed)
        harnessErrors = try c.decode([String].self, forKey: .harnessErrors)
        interrupted = try c.decode(Bool.self, forKey: .interrupted)
    }

    package func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tool, forKey: .tool)
        try c.encode(kind, forKey: .kind)
        try c.encode(target, forKey: .target)
        try c.encode(seed, forKey: .seed)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(seconds, forKey: .seconds)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(sessions, forKey: .sessions)
        try c.encode(sessionsPerSecond, forKey: .sessionsPerSecond)
        try c.encode(behaviours, forKey: .behaviours)
        try c.encode(findings, forKey: .findings)
        try c.encode(unconfirmed, forKey: .unconfirmed)
        try c.encode(harnessErrors, forKey: .harnessErrors)
        try c.encode(interrupted, forKey: .interrupted)
        try c.encode(exitCode, forKey: .exitCode)
    }

    package var sessionsPerSecond: Double { seconds > 0 ? Double(sessions) / seconds : 0 }

    /// 1 with a finding, 130 interrupted, 0 otherwise (the harness's own failures throw instead).
    package var exitCode: Int32 { FuzzCampaignReport.exitCode(findings: findings.count, interrupted: interrupted) }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// JUnit: one failing test case per finding; a passing "campaign" case when there is none.
    package func junit() -> JUnitReport {
        let cases = findings.map { f in
            JUnitReport.TestCase(
                name: "\(f.kind.rawValue)/\(f.node)", className: "qkdspec.fuzz", seconds: f.secondsToFind, outcome: .failure,
                message: "\(f.kind.title) (\(f.node))", detail: Self.text(f))
        }
        let campaign = FuzzCampaignReport.campaignCase(className: "qkdspec.fuzz", seconds: seconds, interrupted: interrupted, count: sessions,
                                                       unit: "sessions", behaviours: behaviours, findings: findings.count)
        return JUnitReport(suiteName: "qkdspec fuzz (\(target))", timestamp: startedAt,
                           properties: [("seed", String(seed)), ("target", target), ("sessions", String(sessions))],
                           cases: cases + [campaign])
    }

    /// A finding in plain text (JUnit, console).
    static func text(_ f: NetworkFinding) -> String {
        """
        \(f.detail)
        mutations (minimised): \(f.mutations.map(\.description).joined(separator: "; "))
        found with: \(f.foundWith.map(\.description).joined(separator: "; "))
        session seed: \(f.sessionSeed); reproduced in \(f.reproduced) of \(f.reruns) reruns; found after \(String(format: "%.1f", f.secondsToFind)) s (session \(f.session))
        reproducer: \(f.directory ?? "not saved")
        reproduce: \(f.reproduce)
        """
    }

    /// SARIF 2.1.0: a rule per detector, a result per finding located at its reproducer.
    package func sarif(version: String) -> SARIFReport {
        let rules = NetworkFinding.Kind.allCases.map { k in
            SARIFReport.Rule(id: k.ruleID, name: k.rawValue, shortDescription: k.title, fullDescription: Self.ruleText(k),
                             helpURI: "docs/fuzzing.md")
        }
        let results = findings.map { f in
            SARIFReport.Result(
                ruleID: f.kind.ruleID, level: .error, message: "\(f.kind.title) (\(f.node)): \(f.detail). Reproduce: \(f.reproduce)",
                location: f.directory.map { Self.uri("\($0)/reproducer.json") } ?? "docs/protocol.md",
                properties: ["session_seed": String(f.sessionSeed), "reproduce": f.reproduce,
                             "mutations": f.mutations.map(\.description).joined(separator: "; ")])
        }
        return SARIFReport(toolName: "qkdspec fuzz", toolVersion: version, informationURI: "docs/fuzzing.md", rules: rules, results: results,
                           properties: ["target": target, "seed": String(seed), "sessions": String(sessions)])
    }

    /// A reproducer's path as a SARIF artifact URI: relative to the working directory when it
    /// lies under it (dashboards resolve such paths against the repository), else a file URI.
    static func uri(_ path: String, base: String = FileManager.default.currentDirectoryPath) -> String {
        let prefix = base.hasSuffix("/") ? base : base + "/"
        if path.hasPrefix(prefix) { return String(path.dropFirst(prefix.count)) }
        return path.hasPrefix("/") ? URL(fileURLWithPath: path).absoluteString : path
    }

    static func ruleText(_ k: NetworkFinding.Kind) -> String {
        switch k {
        case .crash: return "A node must survive any bytes on its control channel: refuse them with an error, never die of a signal."
        case .hang: return "A node must end a session it cannot continue (refuse, time out) rather than hang."
        case .resourceBlowUp: return "A node must not let hostile frames grow its resident memory or its open file descriptors without bound."
        case .wrongAcceptance: return "A frame whose tag does not verify, whose header or framing is broken or which is out of sequence must end the session; it must never be accepted."
        }
    }

    /// The self-contained HTML page.
    package func html() -> String {
        let campaign = FuzzCampaignReport.Campaign(
            title: "qkdspec network fuzz", target: target, seed: seed, startedAt: startedAt, seconds: seconds, durationSeconds: durationSeconds,
            count: sessions, unit: "sessions", rate: String(format: "%.2f", sessionsPerSecond), behaviours: behaviours, findings: findings.count,
            interrupted: interrupted, unconfirmed: unconfirmed, harnessErrors: harnessErrors)
        return FuzzCampaignReport.html(campaign, findingSections: findings.map { f in
            "<h2>\(MarkupText.escape(f.kind.rawValue)) — \(MarkupText.escape(f.node))</h2><p>\(MarkupText.escape(f.kind.title))</p><pre>\(MarkupText.escape(Self.text(f)))</pre>"
        })
    }
}

extension RunReport {
    /// SARIF 2.1.0 for `qkdspec run --sarif`: a rule per case that ran, a result per case that
    /// failed, crashed or timed out (a SHOULD case's warning as a warning), located at the
    /// document its requirement cites.
    package func sarif() -> SARIFReport {
        var seen = Set<String>(), rules: [SARIFReport.Rule] = []
        for r in results where seen.insert(r.id).inserted {
            rules.append(SARIFReport.Rule(id: r.id, name: r.id, shortDescription: r.title, fullDescription: "\(r.level.rawValue): \(r.requirement)",
                                          helpURI: nil))
        }
        let failing = results.filter { [.fail, .crash, .timeout, .warn].contains($0.verdict) }
        let sarifResults = failing.map { r in
            SARIFReport.Result(
                ruleID: r.id, level: r.verdict == .warn || r.expectedFailure ? .warning : .error,
                message: "\(r.verdict.rawValue)\(r.expectedFailure ? " (known failure)" : ""): \(r.title). \(r.detail)",
                location: Self.documentPath(r.reference),
                properties: ["seed": String(r.seed), "reproduce": r.reproduce, "requirement_level": r.level.rawValue])
        }
        return SARIFReport(toolName: "qkdspec run", toolVersion: version, informationURI: "docs/test-catalogue.md", rules: rules, results: sarifResults,
                           properties: ["target": target, "profile": profile, "seed": String(seed)])
    }

    /// The repository file a case's reference cites ("docs/protocol.md (limits)" → docs/protocol.md).
    static func documentPath(_ reference: String) -> String {
        let first = reference.split(separator: " ").first.map(String.init) ?? ""
        return first.hasSuffix(".md") ? first : "docs/test-catalogue.md"
    }
}
