import Foundation
import Node
import PostProcessing
import QKDMath
import QuantumChannel
import Wire

/// The conformance cases, one declarative value each.
public enum Catalogue {
    public static let all: [ConformanceCase] = [
        qberEstimateConsistent, abortInterceptResendFull, abortInterceptResendHalf, abortNoise, livenessBelowThreshold,
        thresholdSound, keyAgreement, lengthWithinBound, abortedFramesNotDelivered, verificationMismatchDiscarded,
        tamperedPayloadAborts, tamperedTagAborts, replayedFrameRejected, uniqueKeyIDs, oversizedFrame, truncatedFrame,
    ]

    /// α of every statistical judgement: a correct stack fails a case by bad luck at most this often.
    public static let alpha = 0.001

    static func honest(_ d: Double = 25) -> Scenario { .gys(distanceKm: d) }

    static func attacked(_ eve: Eavesdropper) -> Scenario {
        var s = Scenario.gys(distanceKm: 5)
        s.eavesdropper = eve
        return s
    }

    // MARK: Parameter estimation and abort

    static let qberEstimateConsistent = ConformanceCase(
        id: "bb84/estimate/qber-consistent", title: "QBER estimate consistent with the true error rate",
        requirement: "The QBER a stack estimates from its sample must be consistent with the true error rate of the sifted key (judged with a 99.9 % Clopper–Pearson interval).",
        level: .must, reference: "Tomamichel et al. 2012 (parameter estimation); docs/postprocessing.md", tags: ["estimation"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed)
        let truth = try ChannelExpectation(scenario: s.scenario).signalQBER
        let trials = s.bob.sampleBits, errors = s.bob.sampleErrors
        guard trials > 0 else { return CaseOutcome(holds: false, detail: "no frame was estimated") }
        let ci = try ClopperPearson.interval(errors: errors, trials: trials, alpha: alpha)
        return CaseOutcome(
            holds: ci.contains(truth),
            detail: String(format: "estimated %d/%d = %.3f %%; true QBER %.3f %%; 99.9 %% interval [%.3f, %.3f] %%", errors, trials,
                           100 * Double(errors) / Double(trials), 100 * truth, 100 * ci.lowerBound, 100 * ci.upperBound),
            measurements: ["qber_estimate": Double(errors) / Double(trials), "qber_true": truth])
    }

    static func abortCase(id: String, title: String, scenario: Scenario, reference: String) -> ConformanceCase {
        ConformanceCase(
            id: id, title: title,
            requirement: "When the true QBER is clearly above the declared threshold, every frame must be aborted and nothing delivered.",
            level: .must, reference: reference, tags: ["abort", "eavesdropper"]
        ) { ctx in
            let s = try await ctx.target.run(scenario: scenario, seed: ctx.seed)
            let truth = try ChannelExpectation(scenario: scenario).signalQBER
            let threshold = ctx.target.parameters.qberThreshold
            let holds = s.bob.frames > 0 && s.bob.framesAborted == s.bob.frames && s.bobKeys.isEmpty && s.aliceKeys.isEmpty
            return CaseOutcome(
                holds: holds,
                detail: String(format: "true QBER %.1f %% against a declared %.1f %%: %d of %d frames aborted, %d keys delivered",
                               100 * truth, 100 * threshold, s.bob.framesAborted, s.bob.frames, s.bobKeys.count + s.aliceKeys.count),
                measurements: ["qber_true": truth, "frames": Double(s.bob.frames), "aborted": Double(s.bob.framesAborted)])
        }
    }

    static let abortInterceptResendFull = abortCase(
        id: "bb84/abort/qber-above-threshold/intercept-resend", title: "Abort under intercept-resend on every pulse",
        scenario: attacked(.interceptResend(fraction: 1)), reference: "Bennett–Brassard 1984; intercept-resend QBER = 25 %")
    static let abortInterceptResendHalf = abortCase(
        id: "bb84/abort/qber-above-threshold/intercept-resend-half", title: "Abort under intercept-resend on half the pulses",
        scenario: attacked(.interceptResend(fraction: 0.5)), reference: "intercept-resend on a fraction p: QBER ≈ p/4")
    static let abortNoise: ConformanceCase = {
        var s = honest(5)
        s.injectedNoise = 0.15
        return abortCase(id: "bb84/abort/qber-above-threshold/noise", title: "Abort on a noisy channel",
                         scenario: s, reference: "Shor–Preskill 2000: no key above 11 %")
    }()

    static let livenessBelowThreshold = ConformanceCase(
        id: "bb84/liveness/no-abort-below-threshold", title: "No abort on a clean channel",
        requirement: "When the true QBER is clearly below the declared threshold, frames must not be aborted, and keys must be delivered.",
        level: .must, reference: "docs/postprocessing.md", tags: ["liveness"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed)
        return CaseOutcome(
            holds: s.bob.frames > 0 && s.bob.framesAborted == 0 && !s.bobKeys.isEmpty && s.bobError == nil && s.aliceError == nil,
            detail: "\(s.bob.frames) frames, \(s.bob.framesAborted) aborted, \(s.bobKeys.count) keys delivered"
                + (s.bobError.map { "; Bob failed: \($0)" } ?? "") + (s.aliceError.map { "; Alice failed: \($0)" } ?? ""),
            measurements: ["frames": Double(s.bob.frames), "keys": Double(s.bobKeys.count)])
    }

    static let thresholdSound = ConformanceCase(
        id: "bb84/abort/declared-threshold-sound", title: "Declared QBER threshold within the provable limit",
        requirement: "The declared abort threshold must not exceed the QBER at which one-way post-processing with the stack's reconciliation inefficiency can still give a key (≤ 11 % Shor–Preskill, lower for f > 1).",
        level: .must, reference: "Shor–Preskill 2000; facts sheet (10.23 % at f = 1.10)", tags: ["abort", "parameters"]
    ) { ctx in
        let declared = ctx.target.parameters.qberThreshold
        // The reference stack's reconciliation leaks about f = 1.10 at these error rates (docs/performance.md).
        let limit = try QBERThreshold.withReconciliationInefficiency(1.10)
        return CaseOutcome(holds: declared <= limit,
                           detail: String(format: "declared %.2f %%, limit %.2f %% (f = 1.10)", 100 * declared, 100 * limit),
                           measurements: ["declared": declared, "limit": limit])
    }

    // MARK: Keys

    static let keyAgreement = ConformanceCase(
        id: "bb84/keys/agreement", title: "Both ends deliver identical keys",
        requirement: "Every key delivered must be identical, bit for bit, at Alice and at Bob, under the same key ID.",
        level: .must, reference: "ε_cor-correctness (Tomamichel et al. 2012)", tags: ["keys"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed)
        let bobByID = Dictionary(s.bobKeys.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
        let mismatched = s.aliceKeys.filter { bobByID[$0.keyID] != $0.key }.count
        let holds = !s.aliceKeys.isEmpty && mismatched == 0 && s.aliceKeys.count == s.bobKeys.count
        return CaseOutcome(holds: holds, detail: "\(s.aliceKeys.count) keys at Alice, \(s.bobKeys.count) at Bob, \(mismatched) differ",
                           measurements: ["keys": Double(s.aliceKeys.count), "mismatched": Double(mismatched)])
    }

    static let lengthWithinBound = ConformanceCase(
        id: "bb84/keys/length-within-finite-key-bound", title: "Key length within the finite-key bound",
        requirement: "A delivered key must not be longer than the finite-key bound for its frame size, the declared threshold and the leakage the harness counted on the wire.",
        level: .must, reference: "Tomamichel, Lim, Gisin, Renner 2012", tags: ["keys", "leakage"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed)
        let p = ctx.target.parameters
        var worst = -Double.infinity, over = 0
        for (frame, length) in s.announcedLength where length > 0 {
            let bound = try FiniteKeyLength(
                keyBits: ctx.target.frameBits - s.sampleSize, sampleBits: s.sampleSize, toleratedQBER: p.qberThreshold,
                leakedBits: Double(s.leakedBits[frame] ?? 0), epsilonSecrecy: p.epsilonSecrecy, epsilonCorrectness: p.epsilonCorrectness
            ).exactLength()
            worst = max(worst, Double(length) - bound)
            if Double(length) > bound { over += 1 }
        }
        let delivered = s.announcedLength.values.filter { $0 > 0 }.count
        return CaseOutcome(
            holds: delivered > 0 && over == 0,
            detail: delivered == 0 ? "no key was delivered to judge" :
                String(format: "%d keys; %d longer than the bound; largest excess %.0f bits", delivered, over, worst),
            measurements: ["keys": Double(delivered), "over_bound": Double(over), "max_excess_bits": worst])
    }

    static let abortedFramesNotDelivered = ConformanceCase(
        id: "bb84/discard/aborted-frame-not-delivered", title: "Nothing from an aborted frame reaches a key store",
        requirement: "No key material from a frame aborted for its QBER may ever reach a key store.",
        level: .must, reference: "docs/postprocessing.md (abort rule)", tags: ["discard"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: attacked(.interceptResend(fraction: 1)), seed: ctx.seed)
        let aborted = s.estimates.values.filter { !$0.proceed }.count
        let stored = s.aliceKeys.count + s.bobKeys.count
        return CaseOutcome(holds: aborted > 0 && stored == 0,
                           detail: "\(aborted) frames aborted on the wire; \(stored) keys in the stores",
                           measurements: ["aborted": Double(aborted), "stored": Double(stored)])
    }

    /// Flips a bit of every verification tag Alice sends and re-tags the frame, so the change
    /// passes authentication and only verification can catch it.
    static let corruptVerification: ReferenceTarget.Fault = { _, bytes in
        guard var frame = try? FrameDecoder.decode(bytes).frame, case .verification(var v) = frame.message else { return [bytes] }
        v.tags[0] ^= 1
        frame.message = .verification(v)
        return [ReferenceTarget.retagged(frame) ?? bytes]
    }

    static let verificationMismatchDiscarded = ConformanceCase(
        id: "bb84/discard/verification-mismatch-not-delivered", title: "A frame failing verification is discarded",
        requirement: "When the verification tags of the two keys differ, the frame must be discarded: no key from it may be delivered.",
        level: .must, reference: "docs/postprocessing.md (discard rule)", tags: ["discard", "verification"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed, fault: corruptVerification)
        let stored = s.aliceKeys.count + s.bobKeys.count
        return CaseOutcome(holds: s.bob.frames > 0 && stored == 0,
                           detail: "every verification tag corrupted (re-authenticated): \(s.bob.frames) frames, \(stored) keys stored",
                           measurements: ["frames": Double(s.bob.frames), "stored": Double(stored)])
    }

    // MARK: Authentication and replay

    static let tamperedPayloadAborts = ConformanceCase(
        id: "auth/tampered-payload-aborts", title: "A message with an altered payload ends the session",
        requirement: "A classical message whose payload was altered in transit must fail authentication, before its payload is interpreted, and the session must abort.",
        level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            guard index == 8, bytes.count > Frame.headerBytes + Frame.tagBytes else { return [bytes] }
            var b = bytes
            b[b.count - Frame.tagBytes - 1] ^= 0x01  // the last payload byte
            return [b]
        }
        var rejected = false
        if case .authentication = s.bobError { rejected = true }
        return CaseOutcome(holds: rejected, detail: "last payload bit of Alice's frame 8 flipped; Bob: \(s.bobError.map { "\($0)" } ?? "carried on")")
    }

    static let tamperedTagAborts = ConformanceCase(
        id: "auth/tampered-tag-aborts", title: "A message with an altered tag ends the session",
        requirement: "A classical message whose authentication tag was altered in transit must fail authentication and abort the session.",
        level: .must, reference: "Wegman–Carter 1981; docs/protocol.md (authentication)", tags: ["authentication"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in
            guard index == 8 else { return [bytes] }
            var b = bytes
            b[b.count - 1] ^= 0x80
            return [b]
        }
        var rejected = false
        if case .authentication = s.bobError { rejected = true }
        return CaseOutcome(holds: rejected, detail: "a tag bit of Alice's frame 8 flipped; Bob: \(s.bobError.map { "\($0)" } ?? "carried on")")
    }

    static let replayedFrameRejected = ConformanceCase(
        id: "auth/replayed-frame-rejected", title: "A replayed message is rejected",
        requirement: "A message replayed on the control channel must be rejected, even with a valid tag.",
        level: .must, reference: "docs/protocol.md (sequence numbers)", tags: ["replay"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed) { index, bytes in index == 0 ? [bytes, bytes] : [bytes] }
        var rejected = false
        if case .protocolViolation(let m) = s.bobError, m.contains("replayed") { rejected = true }
        return CaseOutcome(holds: rejected, detail: "Alice's first frame sent twice; Bob: \(s.bobError.map { "\($0)" } ?? "accepted it")")
    }

    static let uniqueKeyIDs = ConformanceCase(
        id: "keys/unique-key-ids", title: "No key ID is reused",
        requirement: "Every delivered key must have its own key ID; no ID may be delivered twice.",
        level: .must, reference: "ETSI GS QKD 014 (key_ID unique)", tags: ["keys"]
    ) { ctx in
        let s = try await ctx.target.run(scenario: honest(), seed: ctx.seed)
        let ids = s.bobKeys.map(\.keyID)
        return CaseOutcome(holds: ids.count >= 2 && Set(ids).count == ids.count,
                           detail: "\(ids.count) keys, \(Set(ids).count) distinct IDs",
                           measurements: ["keys": Double(ids.count), "distinct": Double(Set(ids).count)])
    }
}

// MARK: Robustness (a node in its own process: a crash or a hang is a verdict, not the end of the run)

extension Catalogue {
    static func robustness(id: String, title: String, requirement: String, bytes: [UInt8], closeAfter: Bool) -> ConformanceCase {
        ConformanceCase(id: id, title: title, requirement: requirement, level: .must, reference: "docs/protocol.md (limits, strict decoding)",
                        tags: ["robustness"]) { ctx in
            let probe = try ctx.target.probe()
            let (ending, log) = try probe.probe(sending: bytes, closeAfter: closeAfter, seconds: 10)
            switch ending {
            case .crashed(let signal):
                return CaseOutcome(holds: false, detail: "the node died of signal \(signal)", verdict: .crash)
            case .stillRunning:
                return CaseOutcome(holds: false, detail: "the node neither refused the input nor ended the session within 10 s", verdict: .timeout)
            case .exited(let status):
                let reason = log.split(separator: "\n").last(where: { $0.hasPrefix("error:") }).map(String.init) ?? "no error message"
                return CaseOutcome(holds: status != 0, detail: "the node ended the session with exit \(status): \(reason)")
            }
        }
    }

    /// A frame header announcing a 2 GiB payload (the limit is 16 MiB).
    static let oversizedHeader: [UInt8] = [0x51, 0x4b, 0x44, 0x57, 1, 0x70, 0, 0] + [UInt8](repeating: 0, count: 16) + [0x7f, 0, 0, 0]

    static let oversizedFrame = robustness(
        id: "robustness/oversized-frame", title: "A frame over the size limit is refused without harm",
        requirement: "A frame whose header announces more than the protocol's limit must be refused with an error before anything is allocated; the node must neither crash nor hang.",
        bytes: oversizedHeader, closeAfter: false)

    static let truncatedFrame = robustness(
        id: "robustness/truncated-frame", title: "A connection cut inside a frame ends the session cleanly",
        requirement: "When the control connection closes in the middle of a frame, the node must end the session with an error; it must neither crash nor hang.",
        bytes: Array(oversizedHeader.prefix(12)), closeAfter: true)
}
