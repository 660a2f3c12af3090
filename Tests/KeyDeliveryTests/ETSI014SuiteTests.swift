import Foundation
import Node
import Testing
@testable import Harness
@testable import KeyDelivery

/// The etsi014 suite against the reference KME pair: clean, every MUST case passes; with each
/// bug knob, at least one MUST case fails (the KME kill matrix).
@Suite(.serialized) struct ETSI014SuiteTests {
    static func run(bugs: Set<KMEBugKnob>, nodes: (any SessionTarget)? = nil, include: [String] = []) async throws -> RunReport {
        let pair = try await ReferenceKMEPair.start(bugs: bugs)
        let runner = Runner(target: KMESessionTarget(kme: pair.target, nodes: nodes), profile: .etsi014, include: include, exclude: [], seed: 7,
                            version: "test")
        let report = await runner.run(runner.selection(), reproduceCommand: "qkdspec run --profile etsi014")
        await pair.stop()
        return report
    }

    @Test func theCatalogueCarriesClausesAndLevels() {
        let cases = Catalogue.all.filter { $0.profiles.contains(.etsi014) }
        #expect(cases.count >= 30)
        for c in cases {
            #expect(c.id.hasPrefix("etsi014/"), "\(c.id)")
            // The clause is the second part of the ID: a number like 5.3 or 6.4.
            let clause = c.id.split(separator: "/")[1]
            #expect(clause.split(separator: ".").allSatisfy { Int($0) != nil }, "\(c.id)")
            #expect(c.reference.contains("ETSI GS QKD 014"), "\(c.id)")
        }
        #expect(Set(cases.map(\.id)).count == cases.count)
    }

    @Test func theReferencePairPassesEveryCase() async throws {
        let report = try await Self.run(bugs: [])
        // Without nodes the cross-layer cases cannot run; everything else must pass.
        let notPassing = report.results.filter { $0.verdict != .pass && !($0.verdict == .unimplemented && $0.id.contains("/lifecycle/")) }
        #expect(notPassing.isEmpty, "\(notPassing.map { "\($0.id): \($0.verdict) \($0.detail)" }.joined(separator: "\n"))")
        #expect(report.exitCode == 0)
    }

    @Test func strictTurnsAShouldFindingIntoAFailure() async throws {
        let pair = try await ReferenceKMEPair.start()
        var kme = pair.target
        for strict in [false, true] {
            kme.strict = strict
            let ctx = CaseContext(target: KMESessionTarget(kme: kme), seed: 1)
            let should = try await ETSI014Support.withPair(ctx, level: .should) { _, _, _ in CaseOutcome(holds: false, detail: "finding") }
            let must = try await ETSI014Support.withPair(ctx, level: .must) { _, _, _ in CaseOutcome(holds: false, detail: "finding") }
            #expect(should.verdict == (strict ? .fail : nil))
            #expect(must.verdict == nil)  // a MUST fails through its level anyway
        }
        await pair.stop()
    }

    @Test(arguments: KMEBugKnob.allCases)
    func everyKnobFailsAMustCase(_ knob: KMEBugKnob) async throws {
        let report = try await Self.run(bugs: [knob])
        let caught = report.results.filter { $0.level == .must && $0.verdict == .fail }
        #expect(!caught.isEmpty, "knob \(knob.rawValue) is not caught")
        #expect(report.results.allSatisfy { $0.verdict != .error }, "\(report.results.filter { $0.verdict == .error }.map { "\($0.id): \($0.detail)" })")
    }
}

/// The cross-layer cases with the reference nodes (engines in this process) feeding the KMEs.
@Suite(.serialized) struct ETSI014LifecycleTests {
    @Test func cleanNodesPass() async throws {
        let report = try await ETSI014SuiteTests.run(bugs: [], nodes: InProcessTarget(), include: ["etsi014/*/lifecycle/*"])
        #expect(report.results.count == 3)
        #expect(report.results.allSatisfy { $0.verdict == .pass }, "\(report.results.map { "\($0.id): \($0.verdict) \($0.detail)" })")
    }

    @Test(arguments: [BugKnob.deliverAbortedBlock, .skipVerification])
    func nodeKnobsAreCaughtThroughTheKMEs(_ knob: BugKnob) async throws {
        let report = try await ETSI014SuiteTests.run(bugs: [], nodes: InProcessTarget(bugs: [knob]), include: ["etsi014/*/lifecycle/*"])
        let failed = report.results.filter { $0.verdict == .fail }.map(\.id)
        #expect(!failed.isEmpty, "\(knob.rawValue) is not caught: \(report.results.map { "\($0.id): \($0.verdict) \($0.detail)" })")
    }
}
