import Foundation
import Reports

/// An ETSI 014 fuzz campaign's outcome, in the formats of the node fuzzer's report (JSON,
/// JUnit, HTML) and SARIF 2.1.0 — with its own kind (`etsi014-fuzz`) and rule IDs
/// (`qkdspec.fuzz.etsi014/…`) so KME findings never mix with node findings.
package struct KMEFuzzReport: Sendable, Codable {
    package var tool = "qkdspec"
    package var kind = "etsi014-fuzz"
    package var target: String
    package var seed: UInt64
    package var startedAt: String
    package var seconds: Double
    package var durationSeconds: Double
    /// Fuzzed requests (key deliveries for dec_keys requests, minimisation and reruns not counted).
    package var requests: Int
    package var behaviours: Int
    /// What the KMEs declared (their status and the target file): the bounds requests were judged against.
    package var declared: KMEDeclaration
    package var findings: [KMEFinding]
    package var unconfirmed: [String]
    package var harnessErrors: [String]
    package var interrupted: Bool

    enum CodingKeys: String, CodingKey {
        case tool, kind, target, seed, seconds, requests, behaviours, declared, findings, unconfirmed, interrupted
        case startedAt = "started_at", durationSeconds = "duration_s", harnessErrors = "harness_errors"
        case requestsPerSecond = "requests_per_second", exitCode = "exit_code"
    }

    package init(target: String, seed: UInt64, startedAt: String, seconds: Double, durationSeconds: Double, requests: Int, behaviours: Int,
                declared: KMEDeclaration, findings: [KMEFinding], unconfirmed: [String], harnessErrors: [String], interrupted: Bool) {
        self.target = target
        self.seed = seed
        self.startedAt = startedAt
        self.seconds = seconds
        self.durationSeconds = durationSeconds
        self.requests = requests
        self.behaviours = behaviours
        self.declared = declared
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
        requests = try c.decode(Int.self, forKey: .requests)
        behaviours = try c.decode(Int.self, forKey: .behaviours)
        declared = try c.decode(KMEDeclaration.self, forKey: .declared)
        findings = try c.decode([KMEFinding].self, forKey: .findings)
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
        try c.encode(requests, forKey: .requests)
        try c.encode(requestsPerSecond, forKey: .requestsPerSecond)
        try c.encode(behaviours, forKey: .behaviours)
        try c.encode(declared, forKey: .declared)
        try c.encode(findings, forKey: .findings)
        try c.encode(unconfirmed, forKey: .unconfirmed)
        try c.encode(harnessErrors, forKey: .harnessErrors)
        try c.encode(interrupted, forKey: .interrupted)
        try c.encode(exitCode, forKey: .exitCode)
    }

    package var requestsPerSecond: Double { seconds > 0 ? Double(requests) / seconds : 0 }

    /// 1 with a finding, 130 interrupted, 0 otherwise.
    package var exitCode: Int32 { FuzzCampaignReport.exitCode(findings: findings.count, interrupted: interrupted) }

    package func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }

    /// A finding in plain text (JUnit, HTML).
    static func text(_ f: KMEFinding) -> String {
        """
        \(f.detail)
        request (minimised): \(f.request.summary)
        mutations (minimised, on the valid \(f.base) request): \(f.mutations.isEmpty ? "none" : f.mutations.map(\.description).joined(separator: "; "))
        found with: \(f.foundWith.map(\.description).joined(separator: "; "))
        reproduced in \(f.reproduced) of \(f.reruns) reruns; found after \(String(format: "%.1f", f.secondsToFind)) s (request \(f.requestNumber))
        reproducer: \(f.directory ?? "not saved")
        reproduce: \(f.reproduce)
        """
    }

    /// JUnit: a failing test case per finding, a `campaign` case.
    package func junit() -> JUnitReport {
        let cases = findings.map { f in
            JUnitReport.TestCase(name: "\(f.kind.rawValue)/\(f.endpoint)", className: "qkdspec.fuzz.etsi014", seconds: f.secondsToFind,
                                 outcome: .failure, message: "\(f.kind.title) (\(f.endpoint))", detail: Self.text(f))
        }
        let campaign = FuzzCampaignReport.campaignCase(className: "qkdspec.fuzz.etsi014", seconds: seconds, interrupted: interrupted,
                                                       count: requests, unit: "requests", behaviours: behaviours, findings: findings.count)
        return JUnitReport(suiteName: "qkdspec fuzz --etsi014 (\(target))", timestamp: startedAt,
                           properties: [("seed", String(seed)), ("target", target), ("requests", String(requests))], cases: cases + [campaign])
    }

    /// SARIF 2.1.0: a rule per oracle, a result per finding located at its reproducer.
    package func sarif(version: String) -> SARIFReport {
        let rules = KMEFinding.Kind.allCases.map { k in
            SARIFReport.Rule(id: k.ruleID, name: k.rawValue, shortDescription: k.title, fullDescription: k.requirement, helpURI: "docs/fuzzing.md")
        }
        let results = findings.map { f in
            SARIFReport.Result(
                ruleID: f.kind.ruleID, level: .error, message: "\(f.kind.title) (\(f.endpoint)): \(f.detail). Reproduce: \(f.reproduce)",
                location: f.directory.map { NetworkFuzzReport.uri("\($0)/reproducer.json") } ?? "docs/etsi014.md",
                properties: ["endpoint": f.endpoint, "reproduce": f.reproduce, "request": f.request.summary,
                             "mutations": f.mutations.map(\.description).joined(separator: "; ")])
        }
        return SARIFReport(toolName: "qkdspec fuzz --etsi014", toolVersion: version, informationURI: "docs/fuzzing.md", rules: rules, results: results,
                           properties: ["target": target, "seed": String(seed), "requests": String(requests)])
    }

    /// The self-contained HTML page.
    package func html() -> String {
        func esc(_ s: String) -> String { MarkupText.escape(s) }
        let d = declared
        let campaign = FuzzCampaignReport.Campaign(
            title: "qkdspec ETSI GS QKD 014 fuzz", target: target, seed: seed, startedAt: startedAt, seconds: seconds,
            durationSeconds: durationSeconds, count: requests, unit: "requests", rate: String(format: "%.1f", requestsPerSecond),
            behaviours: behaviours, findings: findings.count, interrupted: interrupted, unconfirmed: unconfirmed, harnessErrors: harnessErrors)
        let declaredRow = """

            <tr><td>declared</td><td>key_size \(d.keySize), min/max_key_size \(d.minKeySize)/\(d.maxKeySize), max_key_per_request \(d.maxKeyPerRequest),
            max_SAE_ID_count \(d.maxSAEIDCount), multiples of 8 only: \(d.multiplesOf8Only)</td></tr>
            """
        return FuzzCampaignReport.html(campaign, extraRows: declaredRow, findingSections: findings.map { f in
            "<h2>\(esc(f.kind.rawValue)) — \(esc(f.endpoint))</h2><p>\(esc(f.kind.title)) <code>\(esc(f.kind.ruleID))</code></p><pre>\(esc(Self.text(f)))</pre>"
        })
    }
}
