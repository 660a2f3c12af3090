import ArgumentParser
import Capture
import Foundation
import Harness
import Node

/// `qkdspec capture check FILE`: the offline audit of every recorded session.
struct CaptureCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Audit every session in a capture: message order, sequence numbers, tags, key lengths, threshold, verification, key IDs.",
        discussion: """
            Without --declared, a session is judged against the threshold and ε it announced itself \
            (PARAMETERS). Exit codes: 0 every check passed, 1 a check failed, 2 usage error or a \
            file that cannot be read.
            """
    )

    @Argument(help: "A pcap or pcapng file.")
    var file: String

    @Option(help: "The pre-shared authentication key (hex text or raw bytes): every tag is verified.")
    var authKey: String?

    @Option(help: "A target file whose `declared` object gives the threshold and ε to judge against.")
    var declared: String?

    @Option(help: "A BPF filter expression (compiled by libpcap).")
    var filter: String?

    @Option(help: "Output format: text or json.")
    var format = OutputFormat.text

    private struct DeclaredOnly: Decodable { var declared: DeclaredParameters }

    func run() throws {
        var declaration = AuditDeclaration()
        if let declared {
            guard let data = FileManager.default.contents(atPath: declared) else { throw UsageError("cannot read \(declared)") }
            do {
                let d = try JSONDecoder().decode(DeclaredOnly.self, from: data).declared
                declaration = AuditDeclaration(qberThreshold: d.qberThreshold, epsilonSecrecy: d.epsilonSecrecy, epsilonCorrectness: d.epsilonCorrectness)
            } catch {
                throw UsageError("\(declared): no usable `declared` object: \(error)")
            }
        }
        let key = try authKey.map { path in
            do { return try NodeConfiguration.loadAuthenticationKey(path: path) } catch { throw UsageError("\(error)") }
        }
        let auditor = SessionAuditor(declaration: declaration, authenticationKey: key)
        let analyzer = CaptureAnalyzer()
        analyzer.onFrame = { auditor.observe($0) }
        let summary = try CaptureRun.analyze(file: file, filter: filter, analyzer: analyzer)
        let verdicts = auditor.verdicts()
        let passed = !verdicts.isEmpty && verdicts.allSatisfy(\.passed)
        switch format {
        case .json:
            try printJSON(CheckReport(file: file, passed: passed, sessions: verdicts, gaps: summary.gaps.count,
                                      decodeErrors: summary.decodeErrorCount, overlaps: summary.overlaps.count))
        case .text:
            print("\(file): \(verdicts.count) session(s), \(summary.messages) messages")
            if summary.gaps.count + summary.decodeErrorCount + summary.overlaps.count > 0 {
                print("  note: \(summary.gaps.count) gap(s), \(summary.overlaps.count) conflicting overlap(s), \(summary.decodeErrorCount) decode error(s) (see capture inspect)")
            }
            for s in verdicts {
                print("session \(s.session): \(s.frames) frames, \(s.keysConfirmed) keys confirmed — \(s.passed ? "PASS" : "FAIL")")
                for c in s.checks {
                    var line = "  \(c.outcome.rawValue.uppercased().padding(toLength: 8, withPad: " ", startingAt: 0)) \(c.check.rawValue)"
                    if let p = c.packet { line += " at packet \(p)" }
                    if !c.detail.isEmpty { line += ": \(c.detail)" }
                    if c.violations > 1 { line += " (\(c.violations) violations)" }
                    print(line)
                }
            }
            if verdicts.isEmpty { print("no session found: nothing to judge") }
        }
        if !passed { throw ExitCode(ExitStatus.conformanceFailure) }
    }

    private struct CheckReport: Encodable {
        var file: String
        var passed: Bool
        var sessions: [SessionVerdict]
        var gaps: Int
        var decodeErrors: Int
        var overlaps: Int
        enum CodingKeys: String, CodingKey { case file, passed, sessions, gaps, overlaps, decodeErrors = "decode_errors" }
    }
}
