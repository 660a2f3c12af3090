import Foundation
import QKDMath

// Parameter estimation: the estimate a stack acts on must be honest.
extension Catalogue {
    static let estimation: [ConformanceCase] = [
        ConformanceCase(
            id: "bb84/estimate/qber-consistent", title: "QBER estimate consistent with the true error rate",
            requirement: """
                The QBER a stack estimates from its sample must be consistent with the true error rate of the sifted key \
                (judged with a 99.9 % Clopper–Pearson interval).
                """,
            level: .must, reference: "Tomamichel et al. 2012 (parameter estimation); docs/postprocessing.md", tags: ["estimation"]
        ) { ctx in
            if let u = needsWire(ctx, "reading the sample errors") { return u }
            let s = try await ctx.session(honest())
            let truth = try trueQBER(s.scenario)
            let (errors, trials) = wireSample(s)
            guard trials > 0 else { return CaseOutcome(holds: false, detail: "no frame was estimated on the wire; \(describe(s))", session: s) }
            let ci = try ClopperPearson.interval(errors: errors, trials: trials, alpha: alpha)
            return CaseOutcome(
                holds: ci.contains(truth),
                detail: String(format: "estimated %d/%d = %.3f %%; true QBER %.3f %%; 99.9 %% interval [%.3f, %.3f] %%", errors, trials,
                               100 * Double(errors) / Double(trials), 100 * truth, 100 * ci.lowerBound, 100 * ci.upperBound),
                measurements: ["qber_estimate": Double(errors) / Double(trials), "qber_true": truth,
                               "threshold": ctx.target.declared.qberThreshold],
                session: s)
        },
    ]
}
