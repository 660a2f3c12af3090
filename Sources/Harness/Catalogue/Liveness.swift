import Foundation
import QuantumChannel

// Liveness: below the declared threshold, keys must flow.
extension Catalogue {
    static func livenessCase(id: String, title: String, distanceKm: Double, profiles: Set<Profile>) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title,
            requirement: "When the true QBER is clearly below the declared threshold, frames must not be aborted, and keys must be delivered.",
            level: .must, reference: "docs/postprocessing.md", tags: ["liveness"], profiles: profiles
        ) { ctx in
            let s = try await ctx.session(honest(distanceKm))
            let truth = try trueQBER(s.scenario)
            let clean = s.bobFailure == nil && s.aliceFailure == nil && s.wire.framesAborted == 0
            return CaseOutcome(
                holds: clean && !s.bobKeys.isEmpty && !s.aliceKeys.isEmpty,
                detail: String(format: "%.0f km, true QBER %.2f %%: %d frames estimated, %d aborted; ", distanceKm, 100 * truth,
                               s.wire.framesEstimated, s.wire.framesAborted) + describe(s),
                measurements: ["frames": Double(s.wire.framesEstimated), "keys": Double(s.bobKeys.count), "qber_true": truth,
                               "threshold": ctx.target.declared.qberThreshold].merging(wireQBER(s)) { a, _ in a },
                session: s)
        }
    }

    static let liveness: [ConformanceCase] = [
        livenessCase(id: "bb84/liveness/no-abort-below-threshold", title: "No abort on a clean channel", distanceKm: 25,
                     profiles: [.quick, .ci, .full]),
        livenessCase(id: "bb84/liveness/no-abort-below-threshold/50km", title: "No abort on 50 km of clean fibre", distanceKm: 50,
                     profiles: [.ci, .full]),
        livenessCase(id: "bb84/liveness/no-abort-below-threshold/0km", title: "No abort back to back (no fibre)", distanceKm: 0,
                     profiles: [.full]),
        justBelowThreshold,
    ]

    /// Liveness at the declared threshold minus the smallest offset the frames can resolve.
    static let justBelowThreshold = ConformanceCase(
        id: "bb84/liveness/threshold-relative/below", title: "No abort just below the declared threshold",
        requirement: """
            On a channel whose true QBER is the declared threshold minus δ (δ set by the declared sample size so that a \
            correct stack lets every frame through with probability ≥ 1 − α), no frame may be aborted and every frame must \
            give a key: a stack whose effective threshold is δ below what it declares fails with probability ≥ 1 − β.
            """,
        level: .must, reference: "docs/test-catalogue.md (threshold cases)", tags: ["liveness", "statistics"], profiles: [.quick, .ci, .full]
    ) { ctx in
        let r = try resolution(ctx, side: .below)
        let scenario = try channel(withQBER: max(r.qber, try trueQBER(honest(5))))
        let s = try await ctx.session(scenario, blocks: try blocks(forFrames: r.frames, on: scenario, target: ctx.target))
        let frames = s.truth?.frameCount(frameBits: ctx.target.declared.frameBits) ?? 0
        let keys = Set(s.bobKeys.map(\.keyID)).intersection(s.aliceKeys.map(\.keyID)).count
        var holds = frames >= r.frames && s.bobFailure == nil && s.aliceFailure == nil
        var detail = String(format: "true QBER %.2f %%: %d frames by the oracle, %d keys at both ends", 100 * r.qber, frames, keys)
        if ctx.target.channel == .reference {
            let stopped = s.wire.estimates.filter { $0.value.proceed == false }.map(\.key).sorted()
            holds = holds && stopped.isEmpty && s.wire.framesEstimated >= r.frames && keys >= 1
            detail += "; \(s.wire.framesAborted) of \(s.wire.framesEstimated) frames aborted on the wire"
            if !stopped.isEmpty { detail += " (frames \(stopped.prefix(8).map(String.init).joined(separator: ", ")))" }
        } else {
            // Opaque: one key per frame, all but the last frame (cut off at the end of the records).
            holds = holds && keys >= frames - 1
        }
        if let f = s.bobFailure ?? s.aliceFailure { detail += "; a node failed: \(f)" }
        return CaseOutcome(holds: holds, detail: detail + "; " + r.statement,
                           measurements: ["qber_true": r.qber, "threshold": r.threshold, "delta": r.delta, "frames": Double(frames),
                                          "keys": Double(keys)].merging(wireQBER(s)) { a, _ in a },
                           session: s)
    }
}
