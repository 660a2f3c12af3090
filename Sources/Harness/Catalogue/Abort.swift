import Foundation
import QKDMath
import QuantumChannel
import Wire

// Parameter estimation and abort: above the declared threshold, nothing is delivered.
extension Catalogue {
    static let aboveThreshold =
        "When the true QBER is clearly above the declared threshold, every frame must be aborted and nothing delivered."

    /// A scenario in which every frame must abort: nothing delivered, and (on the reference
    /// protocol) every frame's own decision on the wire an abort.
    static func abortCase(id: String, title: String, scenario: Scenario, reference: String, requirement: String = aboveThreshold,
                          tags: [String] = ["abort", "eavesdropper"], profiles: Set<Profile> = [.quick, .ci, .full]) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title, requirement: requirement, level: .must, reference: reference, tags: tags, profiles: profiles
        ) { ctx in
            let s = try await ctx.session(scenario)
            let truth = try trueQBER(scenario)
            let threshold = ctx.target.declared.qberThreshold
            let delivered = s.bobKeys.count + s.aliceKeys.count
            // On the reference protocol the harness also sees every frame's own decision.
            let allAborted = ctx.target.channel == .opaque || (s.wire.framesEstimated > 0 && s.wire.framesAborted == s.wire.framesEstimated)
            return CaseOutcome(
                holds: allAborted && delivered == 0,
                detail: String(format: "true QBER %.1f %% against a declared %.1f %%: %d of %d frames aborted on the wire, %d keys delivered",
                               100 * truth, 100 * threshold, s.wire.framesAborted, s.wire.framesEstimated, delivered),
                measurements: ["qber_true": truth, "threshold": threshold, "frames": Double(s.wire.framesEstimated),
                               "aborted": Double(s.wire.framesAborted)].merging(wireQBER(s)) { a, _ in a },
                session: s)
        }
    }

    /// The resolution of a threshold case on this target: enough frames for β, δ for α.
    static func resolution(_ ctx: CaseContext, side: ThresholdResolution.Side, frames: Int? = nil) throws -> ThresholdResolution {
        let d = ctx.target.declared
        var n = frames ?? ThresholdResolution.framesNeeded(beta: beta)
        while true {
            let r = try ThresholdResolution(threshold: d.qberThreshold, sampleBits: d.sampleBits, frames: n, alpha: alpha, beta: beta, side: side)
            if r.defectPasses <= beta || frames != nil || n > 200 { return r }
            n += 1
        }
    }

    static let abort: [ConformanceCase] = [
        abortCase(
            id: "bb84/abort/qber-above-threshold/intercept-resend", title: "Abort under intercept-resend on every pulse",
            scenario: attacked(.interceptResend(fraction: 1)), reference: "Bennett–Brassard 1984; intercept-resend QBER = 25 %"),
        abortCase(
            id: "bb84/abort/qber-above-threshold/intercept-resend-half", title: "Abort under intercept-resend on half the pulses",
            scenario: attacked(.interceptResend(fraction: 0.5)), reference: "intercept-resend on a fraction p: QBER ≈ p/4"),
        abortCase(
            id: "bb84/abort/qber-above-threshold/intercept-resend-three-quarters", title: "Abort under intercept-resend on 3/4 of the pulses",
            scenario: attacked(.interceptResend(fraction: 0.75)), reference: "intercept-resend on a fraction p: QBER ≈ p/4", profiles: [.full]),
        {
            var s = honest(5)
            s.injectedNoise = 0.15
            return abortCase(id: "bb84/abort/qber-above-threshold/noise", title: "Abort on a noisy channel",
                             scenario: s, reference: "Shor–Preskill 2000: no key above 11 %")
        }(),
        {
            var s = honest(5)
            s.injectedNoise = 0.12
            return abortCase(id: "bb84/abort/qber-above-threshold/moderate-noise", title: "Abort well above the threshold",
                             scenario: s, reference: "docs/postprocessing.md (abort rule)", profiles: [.ci, .full])
        }(),
        abortCase(
            id: "bb84/abort/decoy-statistics/photon-number-splitting", title: "Abort under a photon-number-splitting attack",
            scenario: attacked(.photonNumberSplitting),
            reference: "Hwang 2003; Lo–Ma–Chen 2005 (decoy states); Ma–Qi–Zhao–Lo 2005 eq. 34",
            requirement: """
                When the decoy-state statistics show that the single photons cannot carry a key (an eavesdropper blocking single \
                photons and splitting multi-photon pulses), every frame must be aborted and nothing delivered — even though the \
                QBER stays low.
                """,
            tags: ["abort", "eavesdropper", "decoy"]),
        justAboveThreshold,
        everyFrame(
            id: "bb84/abort/every-frame/attack-from-mid-session", title: "An attack that starts mid-session is caught on every frame",
            attackedFirst: false),
        everyFrame(
            id: "bb84/abort/every-frame/clean-after-attack", title: "Frames after an attack ends are judged on their own",
            attackedFirst: true),
        acceptanceCurve,
        thresholdSound,
        declaredMatchesWire,
    ]

    /// Abort at the declared threshold plus the smallest offset the frames can resolve.
    static let justAboveThreshold = ConformanceCase(
        id: "bb84/abort/threshold-relative/above", title: "Abort just above the declared threshold",
        requirement: """
            On a channel whose true QBER is the declared threshold plus δ (δ set by the declared sample size so that a \
            correct stack aborts every frame with probability ≥ 1 − α), every frame must be aborted and nothing delivered: a \
            stack whose effective threshold is δ above what it declares fails with probability ≥ 1 − β.
            """,
        level: .must, reference: "docs/test-catalogue.md (threshold cases); Tomamichel et al. 2012 (abort rule)",
        tags: ["abort", "statistics"], profiles: [.quick, .ci, .full]
    ) { ctx in
        let r = try resolution(ctx, side: .above)
        let scenario = try channel(withQBER: r.qber)
        let s = try await ctx.session(scenario, blocks: try blocks(forFrames: r.frames, on: scenario, target: ctx.target))
        let frames = s.truth?.frameCount(frameBits: ctx.target.declared.frameBits) ?? 0
        let delivered = s.aliceKeys.count + s.bobKeys.count
        var holds = delivered == 0 && frames >= r.frames
        var detail = String(format: "true QBER %.2f %%: %d frames, %d keys delivered", 100 * r.qber, frames, delivered)
        if ctx.target.channel == .reference {
            let proceeded = s.wire.estimates.filter { $0.value.proceed == true }.map(\.key).sorted()
            holds = holds && proceeded.isEmpty && s.wire.framesEstimated >= r.frames
            detail += "; \(s.wire.framesAborted) of \(s.wire.framesEstimated) frames aborted on the wire"
            if !proceeded.isEmpty { detail += "; frames let through: \(proceeded.prefix(8).map(String.init).joined(separator: ", "))" }
        }
        if frames < r.frames { detail += "; too few frames (\(r.frames) needed) to judge at this δ" }
        return CaseOutcome(holds: holds, detail: detail + "; " + r.statement,
                           measurements: ["qber_true": r.qber, "threshold": r.threshold, "delta": r.delta, "frames": Double(frames),
                                          "keys": Double(delivered)].merging(wireQBER(s)) { a, _ in a },
                           session: s)
    }

    /// A session whose channel changes half-way: clean (the fibre's own QBER) and attacked
    /// (declared threshold plus δ), in the order given. Every frame is judged on its own truth.
    static func everyFrame(id: String, title: String, attackedFirst: Bool) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title,
            requirement: """
                When the channel changes during a session, every frame must be judged on its own sample: every frame drawn \
                from the attacked stretch (true QBER the declared threshold plus δ) aborted, every frame from the clean stretch \
                delivered — not only the first frame of the session.
                """,
            level: .must, reference: "docs/postprocessing.md (per-frame abort rule)", tags: ["abort", "statistics"],
            profiles: attackedFirst ? [.ci, .full] : [.quick, .ci, .full]
        ) { ctx in
            let d = ctx.target.declared
            let r = try resolution(ctx, side: .above)
            let attacked = try channel(withQBER: r.qber), clean = honest(5)
            // Enough blocks for N whole frames in each stretch.
            let half = try max(blocks(forFrames: r.frames, on: attacked, target: ctx.target),
                               blocks(forFrames: r.frames, on: clean, target: ctx.target))
            let first = attackedFirst ? attacked : clean, second = attackedFirst ? clean : attacked
            let plan = SessionPlan(phases: [.init(fromBlock: 0, scenario: first), .init(fromBlock: half, scenario: second)],
                                   seed: ctx.seed, blocks: 2 * half)
            let s = try await ctx.session(plan)
            guard let truth = s.truth else { return .unimplemented("the target does not report the simulated records") }
            let attackedPhase = attackedFirst ? 0 : 1
            var attackedFrames: [Int] = [], cleanFrames: [Int] = []
            for f in 0..<truth.frameCount(frameBits: d.frameBits) {
                guard let range = truth.frameRange(f, frameBits: d.frameBits) else { continue }
                let blocks = truth.blocks(of: range)
                let phases = Set(blocks.map { plan.phaseIndex(ofBlock: $0) })
                guard phases.count == 1, let phase = phases.first else { continue }  // straddles the change
                if phase == attackedPhase { attackedFrames.append(f) } else { cleanFrames.append(f) }
            }
            let keys = Set(s.bobKeys.map(\.keyID)).union(s.aliceKeys.map(\.keyID)).count
            var holds: Bool
            var detail = String(format: "%@ then %@ (true QBER %.2f %% from block %d): %d clean and %d attacked frames by the oracle, %d keys",
                                attackedFirst ? "attacked" : "clean", attackedFirst ? "clean" : "attacked", 100 * r.qber, half,
                                cleanFrames.count, attackedFrames.count, keys)
            if ctx.target.channel == .reference {
                let wrongAbort = cleanFrames.filter { s.wire.estimates[UInt64($0)]?.proceed != true }
                let letThrough = attackedFrames.filter { s.wire.estimates[UInt64($0)]?.proceed != false }
                holds = wrongAbort.isEmpty && letThrough.isEmpty && attackedFrames.count >= r.frames && !cleanFrames.isEmpty
                if attackedFrames.count < r.frames { detail += "; too few attacked frames (\(r.frames) needed) to judge at this δ" }
                if !letThrough.isEmpty { detail += "; attacked frames not aborted: \(letThrough.prefix(8).map(String.init).joined(separator: ", "))" }
                if !wrongAbort.isEmpty { detail += "; clean frames aborted or never estimated: \(wrongAbort.prefix(8).map(String.init).joined(separator: ", "))" }
            } else {
                // Opaque: at most one key per clean frame, and one for the frame that straddles the change.
                holds = keys <= cleanFrames.count + 1 && keys >= 1
                detail += "; at most \(cleanFrames.count + 1) allowed"
            }
            return CaseOutcome(holds: holds, detail: detail + "; " + r.statement,
                               measurements: ["qber_true": r.qber, "threshold": d.qberThreshold, "clean_frames": Double(cleanFrames.count),
                                              "attacked_frames": Double(attackedFrames.count), "keys": Double(keys)],
                               session: s)
        }
    }

    /// The acceptance curve: the fraction of frames aborted as the true QBER crosses the threshold.
    static let acceptanceCurve = ConformanceCase(
        id: "bb84/abort/acceptance-curve", title: "Acceptance curve across the declared threshold",
        requirement: """
            Driven across the declared threshold, the fraction of frames a stack aborts should rise from none (at the threshold \
            minus δ and below) to all (at the threshold plus δ and above); the curve is plotted against the declared threshold.
            """,
        level: .should, reference: "docs/test-catalogue.md (threshold cases)", tags: ["abort", "statistics", "curve"],
        profiles: [.ci, .full]
    ) { ctx in
        let d = ctx.target.declared
        let above = try resolution(ctx, side: .above, frames: 4), below = try resolution(ctx, side: .below, frames: 4)
        let points = [d.qberThreshold - 2 * below.delta, d.qberThreshold - below.delta, d.qberThreshold - below.delta / 2,
                      d.qberThreshold, d.qberThreshold + above.delta / 2, d.qberThreshold + above.delta, d.qberThreshold + 2 * above.delta]
        var m: [String: Double] = ["threshold": d.qberThreshold]
        var parts: [String] = []
        var holds = true
        var last: Session?
        let natural = try trueQBER(honest(5))
        for (i, wanted) in points.enumerated() where wanted > 0 && wanted < 0.5 {
            // The fibre's own QBER is the lowest point the channel reaches.
            let q = max(wanted, natural)
            if i > 0, let previous = m["curve_qber_\(i - 1)"], previous >= q { continue }
            let scenario = try channel(withQBER: q)
            let s = try await ctx.session(scenario, blocks: try blocks(forFrames: 4, on: scenario, target: ctx.target), seed: ctx.seed &+ UInt64(i))
            let frames = s.truth?.frameCount(frameBits: d.frameBits) ?? 0
            let fraction: Double
            if ctx.target.channel == .reference, s.wire.framesEstimated > 0 {
                fraction = Double(s.wire.framesAborted) / Double(s.wire.framesEstimated)
            } else {
                fraction = frames > 0 ? max(0, 1 - Double(Set(s.bobKeys.map(\.keyID)).count) / Double(frames)) : 0
            }
            m["curve_qber_\(i)"] = q
            m["curve_aborted_\(i)"] = fraction
            parts.append(String(format: "%.2f %% → %.0f %%", 100 * q, 100 * fraction))
            if q <= d.qberThreshold - below.delta + 1e-12, fraction > 0 { holds = false }
            if q >= d.qberThreshold + above.delta - 1e-12, fraction < 1 { holds = false }
            last = s
        }
        return CaseOutcome(holds: holds, detail: "aborted per true QBER: " + parts.joined(separator: ", "), measurements: m, session: last)
    }

    static let thresholdSound = ConformanceCase(
        id: "bb84/abort/declared-threshold-sound", title: "Declared QBER threshold within the provable limit",
        requirement: """
            The declared abort threshold must not exceed the QBER at which one-way post-processing with the stack's \
            reconciliation inefficiency can still give a key (≤ 11 % Shor–Preskill, lower for f > 1).
            """,
        level: .must, reference: "Shor–Preskill 2000; 1 − (1 + f)·h(Q) = 0 gives 10.23 % at f = 1.10", tags: ["abort", "parameters"]
    ) { ctx in
        let declared = ctx.target.declared
        let limit = try QBERThreshold.withReconciliationInefficiency(max(1, declared.reconciliationEfficiency))
        return CaseOutcome(holds: declared.qberThreshold <= limit,
                           detail: String(format: "declared %.2f %%, limit %.2f %% (f = %.2f)", 100 * declared.qberThreshold, 100 * limit,
                                          declared.reconciliationEfficiency),
                           measurements: ["declared": declared.qberThreshold, "limit": limit])
    }

    /// What the stack proposes on the wire against what it declares.
    static let declaredMatchesWire = ConformanceCase(
        id: "bb84/parameters/declared-matches-wire", title: "The parameters on the wire are the ones declared",
        requirement: """
            The QBER threshold, frame size, sample size and ε values a stack proposes in its session parameters, and the \
            sample it discloses, must be the ones it declares: the harness judges every other case against the declaration.
            """,
        level: .must, reference: "docs/targets.md (declared); docs/protocol.md (PARAMETERS, ESTIMATION_SAMPLE)", tags: ["parameters"]
    ) { ctx in
        if let u = needsWire(ctx, "reading the session parameters") { return u }
        let s = try await ctx.session(honest())
        guard let p = s.wire.parameters else {
            return CaseOutcome(holds: false, detail: "no PARAMETERS message on the wire; \(describe(s))", session: s)
        }
        let d = ctx.target.declared
        var differences: [String] = []
        func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(abs(a), abs(b)) }
        if !close(p.qberThreshold, d.qberThreshold) { differences.append("threshold \(p.qberThreshold) on the wire, \(d.qberThreshold) declared") }
        if Int(p.frameBits) != d.frameBits { differences.append("frame \(p.frameBits) bits on the wire, \(d.frameBits) declared") }
        if !close(p.epsilonSecrecy, d.epsilonSecrecy) { differences.append("ε_sec \(p.epsilonSecrecy) on the wire, \(d.epsilonSecrecy) declared") }
        if !close(p.epsilonCorrectness, d.epsilonCorrectness) {
            differences.append("ε_cor \(p.epsilonCorrectness) on the wire, \(d.epsilonCorrectness) declared")
        }
        let samples = Set(s.wire.estimates.values.map(\.sampleSize).filter { $0 > 0 })
        if !samples.isEmpty, samples != [d.sampleBits] {
            differences.append("samples of \(samples.sorted().map(String.init).joined(separator: ", ")) bits on the wire, \(d.sampleBits) declared")
        }
        return CaseOutcome(holds: differences.isEmpty,
                           detail: differences.isEmpty ? "threshold, frame size, sample size and ε on the wire as declared" : differences.joined(separator: "; "),
                           measurements: ["threshold_wire": p.qberThreshold, "threshold_declared": d.qberThreshold], session: s)
    }
}
