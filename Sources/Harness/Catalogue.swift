import Foundation
import Node
import PostProcessing
import QKDMath
import QuantumChannel
import Wire

/// The conformance cases, one declarative value each.
public enum Catalogue {
    public static let all: [ConformanceCase] = [
        qberEstimateConsistent, abortInterceptResendFull, abortInterceptResendHalf, abortNoise, abortPhotonNumberSplitting,
        abortInterceptResendThreeQuarters, abortModerateNoise, livenessBelowThreshold, livenessLongFibre, livenessBackToBack,
        thresholdSound, keyAgreement, lengthWithinBound, abortedFramesNotDelivered,
        verificationMismatchDiscarded, tamperedPayloadAborts, tamperedTagAborts, replayedFrameRejected, replayedEarlierFrameRejected,
        reorderedFramesRejected, droppedFrameRejected, truncatedFrameMidSession, delayedFrameTolerated, connectionCutLeavesKeysConsistent, uniqueKeyIDs, oversizedFrame, truncatedFrame,
    ] + vectorCases + etsi014

    /// α of every statistical judgement: a correct stack fails a case by bad luck at most this often.
    public static let alpha = 0.001

    static func honest(_ d: Double = 25) -> Scenario { .gys(distanceKm: d) }

    static func attacked(_ eve: Eavesdropper) -> Scenario {
        var s = Scenario.gys(distanceKm: 5)
        s.eavesdropper = eve
        return s
    }

    /// A node that crashed or hung during a session is a verdict of its own, whatever the case checks.
    static func survival(_ s: Session) -> CaseOutcome? {
        for (role, ending) in [("Alice", s.aliceEnding), ("Bob", s.bobEnding)] {
            switch ending {
            case .crashed(let signal)?:
                return CaseOutcome(holds: false, detail: "\(role)'s node died of signal \(signal)", verdict: .crash, session: s)
            case .timedOut?:
                return CaseOutcome(holds: false, detail: "\(role)'s node was still running when the session's time was up", verdict: .timeout,
                                   session: s)
            default: continue
            }
        }
        return nil
    }

    static func needsWire(_ ctx: CaseContext, _ what: String) -> CaseOutcome? {
        ctx.target.channel == .opaque
            ? .unimplemented("the target's control protocol is opaque to the harness; \(what) needs the frames decoded") : nil
    }

    /// The stack's own QBER estimate as seen on the wire (all answered samples pooled).
    static func wireQBER(_ s: Session) -> [String: Double] {
        let answered = s.wire.estimates.values.filter { $0.errors != nil }
        let trials = answered.reduce(0) { $0 + $1.sampleSize }, errors = answered.reduce(0) { $0 + ($1.errors ?? 0) }
        return trials > 0 ? ["qber_estimate": Double(errors) / Double(trials)] : [:]
    }

    static func describe(_ s: Session) -> String {
        var parts = ["\(s.aliceKeys.count) keys at Alice, \(s.bobKeys.count) at Bob"]
        if let f = s.bobFailure { parts.append("Bob: \(f)") }
        if let f = s.aliceFailure { parts.append("Alice: \(f)") }
        return parts.joined(separator: "; ")
    }

    // MARK: Parameter estimation and abort

    static let qberEstimateConsistent = ConformanceCase(
        id: "bb84/estimate/qber-consistent", title: "QBER estimate consistent with the true error rate",
        requirement: "The QBER a stack estimates from its sample must be consistent with the true error rate of the sifted key (judged with a 99.9 % Clopper–Pearson interval).",
        level: .must, reference: "Tomamichel et al. 2012 (parameter estimation); docs/postprocessing.md", tags: ["estimation"]
    ) { ctx in
        if let u = needsWire(ctx, "reading the sample errors") { return u }
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: nil)
        if let o = survival(s) { return o }
        let truth = try ChannelExpectation(scenario: s.scenario).signalQBER
        let answered = s.wire.estimates.values.filter { $0.errors != nil }
        let trials = answered.reduce(0) { $0 + $1.sampleSize }, errors = answered.reduce(0) { $0 + ($1.errors ?? 0) }
        guard trials > 0 else { return CaseOutcome(holds: false, detail: "no frame was estimated on the wire; \(describe(s))", session: s) }
        let ci = try ClopperPearson.interval(errors: errors, trials: trials, alpha: alpha)
        return CaseOutcome(
            holds: ci.contains(truth),
            detail: String(format: "estimated %d/%d = %.3f %%; true QBER %.3f %%; 99.9 %% interval [%.3f, %.3f] %%", errors, trials,
                           100 * Double(errors) / Double(trials), 100 * truth, 100 * ci.lowerBound, 100 * ci.upperBound),
            measurements: ["qber_estimate": Double(errors) / Double(trials), "qber_true": truth,
                           "threshold": ctx.target.declared.qberThreshold],
            session: s)
    }

    static let aboveThreshold =
        "When the true QBER is clearly above the declared threshold, every frame must be aborted and nothing delivered."

    /// A scenario in which every frame must abort: nothing delivered, and (on the reference
    /// protocol) every frame's own decision on the wire an abort.
    static func abortCase(id: String, title: String, scenario: Scenario, reference: String, requirement: String = aboveThreshold,
                          tags: [String] = ["abort", "eavesdropper"], profiles: Set<Profile> = [.quick, .ci, .full]) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title, requirement: requirement, level: .must, reference: reference, tags: tags, profiles: profiles
        ) { ctx in
            let s = try await ctx.target.run(scenario: scenario, seed: ctx.seed, fault: nil)
            if let o = survival(s) { return o }
            let truth = try ChannelExpectation(scenario: scenario).signalQBER
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

    static let abortInterceptResendFull = abortCase(
        id: "bb84/abort/qber-above-threshold/intercept-resend", title: "Abort under intercept-resend on every pulse",
        scenario: attacked(.interceptResend(fraction: 1)), reference: "Bennett–Brassard 1984; intercept-resend QBER = 25 %")
    static let abortInterceptResendHalf = abortCase(
        id: "bb84/abort/qber-above-threshold/intercept-resend-half", title: "Abort under intercept-resend on half the pulses",
        scenario: attacked(.interceptResend(fraction: 0.5)), reference: "intercept-resend on a fraction p: QBER ≈ p/4")
    static let abortPhotonNumberSplitting = abortCase(
        id: "bb84/abort/decoy-statistics/photon-number-splitting", title: "Abort under a photon-number-splitting attack",
        scenario: attacked(.photonNumberSplitting),
        reference: "Hwang 2003; Lo–Ma–Chen 2005 (decoy states); Ma–Qi–Zhao–Lo 2005 eq. 34",
        requirement: "When the decoy-state statistics show that the single photons cannot carry a key (an eavesdropper blocking single photons and splitting multi-photon pulses), every frame must be aborted and nothing delivered — even though the QBER stays low.",
        tags: ["abort", "eavesdropper", "decoy"])

    static let abortNoise: ConformanceCase = {
        var s = honest(5)
        s.injectedNoise = 0.15
        return abortCase(id: "bb84/abort/qber-above-threshold/noise", title: "Abort on a noisy channel",
                         scenario: s, reference: "Shor–Preskill 2000: no key above 11 %")
    }()

    static func livenessCase(id: String, title: String, distanceKm: Double, profiles: Set<Profile>) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title,
            requirement: "When the true QBER is clearly below the declared threshold, frames must not be aborted, and keys must be delivered.",
            level: .must, reference: "docs/postprocessing.md", tags: ["liveness"], profiles: profiles
        ) { ctx in
            let s = try await ctx.target.run(scenario: honest(distanceKm), seed: ctx.seed, fault: nil)
            if let o = survival(s) { return o }
            let truth = try ChannelExpectation(scenario: s.scenario).signalQBER
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

    static let livenessBelowThreshold = livenessCase(
        id: "bb84/liveness/no-abort-below-threshold", title: "No abort on a clean channel", distanceKm: 25, profiles: [.quick, .ci, .full])
    static let livenessLongFibre = livenessCase(
        id: "bb84/liveness/no-abort-below-threshold/50km", title: "No abort on 50 km of clean fibre", distanceKm: 50, profiles: [.ci, .full])
    static let livenessBackToBack = livenessCase(
        id: "bb84/liveness/no-abort-below-threshold/0km", title: "No abort back to back (no fibre)", distanceKm: 0, profiles: [.full])

    static let abortInterceptResendThreeQuarters = abortCase(
        id: "bb84/abort/qber-above-threshold/intercept-resend-three-quarters", title: "Abort under intercept-resend on 3/4 of the pulses",
        scenario: attacked(.interceptResend(fraction: 0.75)), reference: "intercept-resend on a fraction p: QBER ≈ p/4", profiles: [.full])
    static let abortModerateNoise: ConformanceCase = {
        var s = honest(5)
        s.injectedNoise = 0.12
        return abortCase(id: "bb84/abort/qber-above-threshold/moderate-noise", title: "Abort at 1.5 times the threshold",
                         scenario: s, reference: "docs/postprocessing.md (abort rule)", profiles: [.ci, .full])
    }()

    static let thresholdSound = ConformanceCase(
        id: "bb84/abort/declared-threshold-sound", title: "Declared QBER threshold within the provable limit",
        requirement: "The declared abort threshold must not exceed the QBER at which one-way post-processing with the stack's reconciliation inefficiency can still give a key (≤ 11 % Shor–Preskill, lower for f > 1).",
        level: .must, reference: "Shor–Preskill 2000; facts sheet (10.23 % at f = 1.10)", tags: ["abort", "parameters"]
    ) { ctx in
        let declared = ctx.target.declared
        let limit = try QBERThreshold.withReconciliationInefficiency(max(1, declared.reconciliationEfficiency))
        return CaseOutcome(holds: declared.qberThreshold <= limit,
                           detail: String(format: "declared %.2f %%, limit %.2f %% (f = %.2f)", 100 * declared.qberThreshold, 100 * limit,
                                          declared.reconciliationEfficiency),
                           measurements: ["declared": declared.qberThreshold, "limit": limit])
    }

    // MARK: Keys

    static let keyAgreement = ConformanceCase(
        id: "bb84/keys/agreement", title: "Both ends deliver identical keys",
        requirement: "Every key delivered must be identical, bit for bit, at Alice and at Bob, under the same key ID.",
        level: .must, reference: "ε_cor-correctness (Tomamichel et al. 2012)", tags: ["keys"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: nil)
        if let o = survival(s) { return o }
        let mismatched = s.mismatchedKeys
        let holds = !s.aliceKeys.isEmpty && mismatched == 0 && s.aliceKeys.count == s.bobKeys.count
        return CaseOutcome(holds: holds, detail: "\(s.aliceKeys.count) keys at Alice, \(s.bobKeys.count) at Bob, \(mismatched) differ",
                           measurements: ["keys": Double(s.aliceKeys.count), "mismatched": Double(mismatched)], session: s)
    }

    static let lengthWithinBound = ConformanceCase(
        id: "bb84/keys/length-within-finite-key-bound", title: "Key length within the finite-key bound",
        requirement: "A delivered key must not be longer than the finite-key bound for its frame size, the declared threshold and the leakage the harness counted on the wire.",
        level: .must, reference: "Tomamichel, Lim, Gisin, Renner 2012", tags: ["keys", "leakage"]
    ) { ctx in
        if let u = needsWire(ctx, "counting the leakage") { return u }
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: nil)
        if let o = survival(s) { return o }
        let d = ctx.target.declared
        var worst = -Double.infinity, over = 0
        var lengths: [Double] = [], bounds: [Double] = []
        for (frame, length) in s.announcedLength where length > 0 {
            guard let e = s.wire.estimates[frame], e.siftedBits > e.sampleSize else { continue }
            let bound = try FiniteKeyLength(
                keyBits: e.siftedBits - e.sampleSize, sampleBits: e.sampleSize, toleratedQBER: d.qberThreshold,
                leakedBits: Double(s.wire.leaked[frame] ?? 0), epsilonSecrecy: d.epsilonSecrecy, epsilonCorrectness: d.epsilonCorrectness
            ).exactLength()
            worst = max(worst, Double(length) - bound)
            if Double(length) > bound { over += 1 }
            lengths.append(Double(length))
            bounds.append(bound)
        }
        let delivered = lengths.count
        var m: [String: Double] = ["keys": Double(delivered), "over_bound": Double(over), "max_excess_bits": worst]
        for (i, (l, b)) in zip(lengths, bounds).enumerated().prefix(64) {
            m["length_\(i)"] = l
            m["bound_\(i)"] = b
        }
        return CaseOutcome(
            holds: delivered > 0 && over == 0,
            detail: delivered == 0 ? "no key was delivered to judge; \(describe(s))" :
                String(format: "%d keys; %d longer than the bound; largest excess %.0f bits", delivered, over, worst),
            measurements: m, session: s)
    }

    static let abortedFramesNotDelivered = ConformanceCase(
        id: "bb84/discard/aborted-frame-not-delivered", title: "Nothing from an aborted frame reaches a key store",
        requirement: "No key material from a frame aborted for its QBER may ever reach a key store.",
        level: .must, reference: "docs/postprocessing.md (abort rule)", tags: ["discard"]
    ) { ctx in
        if let u = needsWire(ctx, "seeing which frames were aborted") { return u }
        let s = try await ctx.target.run(scenario: attacked(.interceptResend(fraction: 1)), seed: ctx.seed, fault: nil)
        if let o = survival(s) { return o }
        let aborted = s.wire.framesAborted
        let stored = s.aliceKeys.count + s.bobKeys.count
        return CaseOutcome(holds: aborted > 0 && stored == 0,
                           detail: "\(aborted) frames aborted on the wire; \(stored) keys in the stores",
                           measurements: ["aborted": Double(aborted), "stored": Double(stored)], session: s)
    }

    /// Flips a bit of every verification tag Alice sends and re-tags the frame with `key`, so the
    /// change passes authentication and only verification can catch it.
    static func corruptVerification(key: BitKey) -> ChannelFault {
        { _, bytes in
            guard var frame = try? FrameDecoder.decode(bytes).frame, case .verification(var v) = frame.message, !v.tags.isEmpty else {
                return [.send(bytes)]
            }
            v.tags[0] ^= 1
            frame.message = .verification(v)
            return [.send(ReferenceNodeCommand.retagged(frame, key: key) ?? bytes)]
        }
    }

    static let verificationMismatchDiscarded = ConformanceCase(
        id: "bb84/discard/verification-mismatch-not-delivered", title: "A frame failing verification is discarded",
        requirement: "When the verification tags of the two keys differ, the frame must be discarded: no key from it may be delivered.",
        level: .must, reference: "docs/postprocessing.md (discard rule)", tags: ["discard", "verification"]
    ) { ctx in
        if let u = needsWire(ctx, "altering a verification tag") { return u }
        guard let key = ctx.target.authenticationKey else {
            return .unimplemented("the harness does not hold the target's authentication key, so it cannot re-authenticate an altered frame")
        }
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: corruptVerification(key: key))
        if let o = survival(s) { return o }
        let stored = s.aliceKeys.count + s.bobKeys.count
        let verified = s.wire.transcript.filter { $0.type == "verification" }.count
        return CaseOutcome(holds: verified > 0 && stored == 0,
                           detail: "\(verified) verification messages corrupted (re-authenticated); \(stored) keys stored",
                           measurements: ["verifications": Double(verified), "stored": Double(stored)], session: s)
    }

    // MARK: Authentication, replay and order

    /// Whether Bob refused Alice's traffic: an ABORT or ERROR on the wire, or (opaque protocol) a
    /// node that ended with an error.
    static func bobRefused(_ s: Session, _ ctx: CaseContext, reason: AbortReason? = nil, code: ErrorCode? = nil) -> Bool {
        if ctx.target.channel == .opaque { return s.bobFailed }
        if let reason, s.wire.aborts.contains(where: { $0.from == .bob && $0.reason == reason }) { return true }
        if let code, s.wire.errors.contains(where: { $0.from == .bob && $0.code == code }) { return true }
        return false
    }

    static func refusal(_ s: Session) -> String {
        let a = s.wire.aborts.filter { $0.from == .bob }.map { "ABORT \($0.reason)" }
        let e = s.wire.errors.filter { $0.from == .bob }.map { "ERROR \($0.code)" }
        let said = (a + e).joined(separator: ", ")
        return said.isEmpty ? "Bob sent no ABORT or ERROR" : "Bob sent \(said)"
    }

    static let tamperedPayloadAborts = ConformanceCase(
        id: "auth/tampered-payload-aborts", title: "A message with an altered payload ends the session",
        requirement: "A classical message whose payload was altered in transit must fail authentication, before its payload is interpreted, and the session must abort with nothing delivered from it.",
        level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
    ) { ctx in
        let opaque = ctx.target.channel == .opaque
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            // The reference protocol: the last payload byte of Alice's frame 8. Opaque: a byte in the
            // middle of her ninth chunk.
            guard index == 8, bytes.count > Frame.headerBytes + Frame.tagBytes || (opaque && !bytes.isEmpty) else { return [.send(bytes)] }
            var b = bytes
            b[opaque ? b.count / 2 : b.count - Frame.tagBytes - 1] ^= 0x01
            return [.send(b)]
        }
        if let o = survival(s) { return o }
        let refused = bobRefused(s, ctx, reason: .authenticationFailure, code: .authenticationFailed)
        return CaseOutcome(holds: refused && s.mismatchedKeys == 0,
                           detail: "a payload bit of Alice's message 8 flipped; \(refusal(s)); \(s.mismatchedKeys) keys differ", session: s)
    }

    static let tamperedTagAborts = ConformanceCase(
        id: "auth/tampered-tag-aborts", title: "A message with an altered tag ends the session",
        requirement: "A classical message whose authentication tag was altered in transit must fail authentication and abort the session.",
        level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
    ) { ctx in
        if let u = needsWire(ctx, "finding a message's tag") { return u }
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            guard index == 8 else { return [.send(bytes)] }
            var b = bytes
            b[b.count - 1] ^= 0x80
            return [.send(b)]
        }
        if let o = survival(s) { return o }
        let refused = bobRefused(s, ctx, reason: .authenticationFailure, code: .authenticationFailed)
        return CaseOutcome(holds: refused, detail: "a tag bit of Alice's message 8 flipped; \(refusal(s))", session: s)
    }

    static let replayedFrameRejected = ConformanceCase(
        id: "auth/replayed-frame-rejected", title: "A replayed message is rejected",
        requirement: "A message replayed on the control channel must be rejected, even with a valid tag.",
        level: .must, reference: "docs/protocol.md (sequence numbers)", tags: ["replay"]
    ) { ctx in
        if let u = needsWire(ctx, "replaying a message") { return u }
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            index == 0 ? [.send(bytes), .send(bytes)] : [.send(bytes)]
        }
        if let o = survival(s) { return o }
        return CaseOutcome(holds: bobRefused(s, ctx, code: .replayedOrOutOfOrder),
                           detail: "Alice's first message sent twice; \(refusal(s))", session: s)
    }

    /// Keeps a copy of Alice's message `earlier` and sends it again after message `later`.
    static func replaying(_ earlier: Int, after later: Int) -> ChannelFault {
        let held = HeldFrame()
        return { index, bytes in
            if index == earlier { held.set(bytes) }
            if index == later, let old = held.take() { return [.send(bytes), .send(old)] }
            return [.send(bytes)]
        }
    }

    /// A fault in the order of Alice's messages (each with a valid tag) that Bob must notice from
    /// the sequence numbers: he refuses with ERROR replayed-or-out-of-order, and no key differs.
    /// `fault` makes a fresh fault per session (faults keep state).
    static func sequenceCase(id: String, title: String, requirement: String, tags: [String], profiles: Set<Profile> = [.quick, .ci, .full],
                             doing what: String, fault: @escaping @Sendable () -> ChannelFault, detail: String) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title, requirement: requirement, level: .must, reference: "docs/protocol.md (sequence numbers)", tags: tags,
            profiles: profiles
        ) { ctx in
            if let u = needsWire(ctx, what) { return u }
            let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: fault())
            if let o = survival(s) { return o }
            return CaseOutcome(holds: bobRefused(s, ctx, code: .replayedOrOutOfOrder) && s.mismatchedKeys == 0,
                               detail: "\(detail); \(refusal(s)); \(s.mismatchedKeys) keys differ", session: s)
        }
    }

    static let replayedEarlierFrameRejected = sequenceCase(
        id: "auth/replayed-earlier-frame-rejected", title: "An old message replayed mid-session is rejected",
        requirement: "A message recorded earlier in the session and replayed later (with its valid tag) must be rejected and the session aborted, with no key from an incomplete frame.",
        tags: ["replay"], profiles: [.ci, .full], doing: "replaying a message", fault: { replaying(3, after: 12) },
        detail: "Alice's message 3 replayed after her message 12")

    static let truncatedFrameMidSession = ConformanceCase(
        id: "robustness/truncated-frame-mid-session", title: "A frame cut short mid-session ends the session cleanly",
        requirement: "When the connection closes in the middle of one of Alice's frames during post-processing, Bob must end the session with an error, neither crash nor hang, and deliver no key that Alice does not hold identically.",
        level: .must, reference: "docs/protocol.md (limits, connection loss)", tags: ["robustness"], profiles: [.ci, .full]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            index == 9 ? [.send(Array(bytes.prefix(max(1, bytes.count / 2)))), .close] : [.send(bytes)]
        }
        if let o = survival(s) { return o }
        let bobFailed = s.bobFailed
        return CaseOutcome(holds: bobFailed && s.mismatchedKeys == 0 && s.keysOnlyAtBob == 0,
                           detail: "Alice's message 9 cut in half, then the connection closed; Bob \(bobFailed ? "failed: \(s.bobFailure ?? "non-zero exit")" : "carried on as if nothing happened"); \(describe(s))",
                           session: s)
    }

    /// Swaps Alice's messages `first` and `first + 1`.
    static func swapping(_ first: Int) -> ChannelFault {
        let held = HeldFrame()
        return { index, bytes in
            if index == first {
                held.set(bytes)
                return []
            }
            if index == first + 1, let earlier = held.take() { return [.send(bytes), .send(earlier)] }
            return [.send(bytes)]
        }
    }

    static let reorderedFramesRejected = sequenceCase(
        id: "auth/reordered-frames-rejected", title: "Messages delivered out of order are rejected",
        requirement: "A message that arrives out of order (each with a valid tag) must be rejected, and the session aborted.",
        tags: ["replay", "order"], doing: "reordering messages", fault: { swapping(6) }, detail: "Alice's messages 6 and 7 swapped")

    static let droppedFrameRejected = sequenceCase(
        id: "auth/dropped-frame-detected", title: "A message lost in transit is noticed",
        requirement: "When one of Alice's messages never arrives, the gap in the sequence numbers must be noticed and the session aborted, with no key delivered from a frame left incomplete.",
        tags: ["order"], profiles: [.ci, .full], doing: "dropping one message",
        fault: { { index, bytes in index == 6 ? [] : [.send(bytes)] } }, detail: "Alice's message 6 dropped")

    static let delayedFrameTolerated = ConformanceCase(
        id: "robustness/delayed-frame-tolerated", title: "A slow message does not break the session",
        requirement: "A message held back for a quarter of a second (well inside any sensible timeout) must not make the session fail: keys are still delivered and agree.",
        level: .should, reference: "docs/protocol.md (timeouts)", tags: ["robustness", "liveness"], profiles: [.ci, .full]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            index == 10 ? [.delay(.milliseconds(250)), .send(bytes)] : [.send(bytes)]
        }
        if let o = survival(s) { return o }
        return CaseOutcome(holds: !s.bobKeys.isEmpty && s.mismatchedKeys == 0 && s.aliceKeys.count == s.bobKeys.count,
                           detail: "Alice's message 10 held for 250 ms; " + describe(s), session: s)
    }

    static let connectionCutLeavesKeysConsistent = ConformanceCase(
        id: "robustness/connection-cut-keys-consistent", title: "A cut connection leaves no half-delivered key",
        requirement: "When the control connection is cut in the middle of post-processing, both nodes must end the session without crashing, and every key either delivered by both ends, identical, or by neither.",
        level: .must, reference: "docs/protocol.md (connection loss)", tags: ["robustness", "keys"], profiles: [.ci, .full]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            index == 40 ? [.close] : [.send(bytes)]
        }
        if let o = survival(s) { return o }
        let oneSided = s.oneSidedKeys
        return CaseOutcome(holds: s.mismatchedKeys == 0 && oneSided == 0,
                           detail: "the connection to Bob closed before Alice's message 40; \(describe(s)); \(oneSided) keys held by one end only",
                           measurements: ["one_sided_keys": Double(oneSided), "mismatched": Double(s.mismatchedKeys)], session: s)
    }

    static let uniqueKeyIDs = ConformanceCase(
        id: "keys/unique-key-ids", title: "No key ID is reused",
        requirement: "Every delivered key must have its own key ID; no ID may be delivered twice.",
        level: .must, reference: "ETSI GS QKD 014 (key_ID unique)", tags: ["keys"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: nil)
        if let o = survival(s) { return o }
        let ids = s.bobKeys.map(\.keyID)
        return CaseOutcome(holds: ids.count >= 2 && Set(ids).count == ids.count,
                           detail: "\(ids.count) keys, \(Set(ids).count) distinct IDs",
                           measurements: ["keys": Double(ids.count), "distinct": Double(Set(ids).count)], session: s)
    }
}

/// One frame a fault holds back (to reorder), shared by the fault's calls.
final class HeldFrame: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8]?
    func set(_ b: [UInt8]) { lock.withLock { bytes = b } }
    func take() -> [UInt8]? { lock.withLock { defer { bytes = nil }; return bytes } }
}

extension Session {
    /// Per frame, the final length Alice announced (reference protocol).
    var announcedLength: [UInt64: Int] { wire.announced }
}
