import Foundation

extension Catalogue {
    /// The statistical cases' α, β and the smallest defect each resolves, for `declared` (the
    /// reference declaration by default), as a Markdown section of the test catalogue.
    package static func statisticsMarkdown(for declared: DeclaredParameters = DeclaredParameters()) -> String {
        var s = "\n## Statistical cases\n\n"
        s += "Each threshold case runs N frames at the declared threshold T ± δ and requires every frame decided as T says. "
        s += "δ is the smallest offset at which a correct stack passes with probability ≥ 1 − α; a stack whose effective threshold is δ off "
        s += "passes with probability ≤ β. δ depends on the declared threshold and sample size; the figures below are for "
        s += String(format: "T = %.2f %%, k = %d sample bits (frames of %d bits), α = β = %g.\n\n", 100 * declared.qberThreshold,
                    declared.sampleBits, declared.frameBits, alpha)
        s += "| ID | α | β | frames N | δ (smallest defect resolved) |\n|---|---|---|---|---|\n"
        let frames = ThresholdResolution.framesNeeded(beta: beta)
        let rows: [(String, ThresholdResolution.Side)] = [
            ("bb84/abort/threshold-relative/above", .above), ("bb84/abort/every-frame/attack-from-mid-session", .above),
            ("bb84/abort/every-frame/clean-after-attack", .above), ("bb84/liveness/threshold-relative/below", .below),
        ]
        for (id, side) in rows {
            guard var r = try? ThresholdResolution(threshold: declared.qberThreshold, sampleBits: declared.sampleBits, frames: frames,
                                                   alpha: alpha, beta: beta, side: side) else { continue }
            var n = frames
            while r.defectPasses > beta, n < 200, let next = try? ThresholdResolution(
                threshold: declared.qberThreshold, sampleBits: declared.sampleBits, frames: n + 1, alpha: alpha, beta: beta, side: side) {
                n += 1
                r = next
            }
            s += String(format: "| `%@` | %g | %g | %d | %.2f %% %@ T (an effective threshold of %.2f %%) |\n", id, alpha, beta, r.frames,
                        100 * r.delta, side == .above ? "above" : "below", 100 * r.qber)
        }
        s += "| `bb84/estimate/qber-consistent` | \(alpha) | — | all frames pooled | the estimate must lie in the 99.9 % Clopper–Pearson interval of the true QBER |\n"
        s += "| `bb84/keys/length-within-oracle-bound` | \(alpha) | — | all frames | the true error rate enters at its one-sided 99.9 % lower bound, less four standard deviations of a frame's spread |\n"
        return s
    }
}
