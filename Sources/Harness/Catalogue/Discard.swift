import Foundation
import PostProcessing
import Wire

// Discard: what a frame did not earn never reaches a key store, at either end.
extension Catalogue {
    static let discard: [ConformanceCase] = [
        ConformanceCase(
            id: "bb84/discard/aborted-frame-not-delivered", title: "Nothing from an aborted frame reaches a key store",
            requirement: "No key material from a frame aborted for its QBER may ever reach a key store.",
            level: .must, reference: "docs/postprocessing.md (abort rule)", tags: ["discard"]
        ) { ctx in
            if let u = needsWire(ctx, "seeing which frames were aborted") { return u }
            let s = try await ctx.session(attacked(.interceptResend(fraction: 1)))
            let aborted = s.wire.framesAborted
            let stored = s.aliceKeys.count + s.bobKeys.count
            return CaseOutcome(holds: aborted > 0 && stored == 0,
                               detail: "\(aborted) frames aborted on the wire; \(stored) keys in the stores",
                               measurements: ["aborted": Double(aborted), "stored": Double(stored)], session: s)
        },
        ConformanceCase(
            id: "bb84/discard/verification-mismatch-not-delivered", title: "A frame failing verification is discarded",
            requirement: "When the verification tags of the two keys differ, the frame must be discarded: no key from it may be delivered.",
            level: .must, reference: "docs/postprocessing.md (discard rule)", tags: ["discard", "verification"]
        ) { ctx in
            if let u = needsWire(ctx, "altering a verification tag") { return u }
            guard let key = ctx.target.authenticationKey else { return needsKey }
            let log = FaultLog()
            let s = try await ctx.session(honest(), alice: corruptVerification(key: key, log: log))
            let stored = s.aliceKeys.count + s.bobKeys.count
            let verified = log.entries.count
            return CaseOutcome(holds: verified > 0 && stored == 0,
                               detail: "\(verified) verification messages corrupted (re-authenticated); \(stored) keys stored",
                               measurements: ["verifications": Double(verified), "stored": Double(stored)], session: s)
        },
        ConformanceCase(
            id: "bb84/discard/confirmation-mismatch-at-both-ends", title: "A key whose confirmation fails is held by neither end",
            requirement: """
                When the key confirmation shows the two ends' final keys differ (here: the fingerprint in Bob's confirmation of \
                one frame, picked by the case's seed, is altered and re-authenticated), that frame's key must be delivered at \
                neither end: a key is delivered at both ends or at neither.
                """,
            level: .must, reference: "docs/protocol.md (key confirmation)", tags: ["discard", "keys"]
        ) { ctx in
            if let u = needsWire(ctx, "altering a key confirmation") { return u }
            guard let key = ctx.target.authenticationKey else { return needsKey }
            let calibration = try await ctx.session(honest())
            let confirmed = calibration.wire.amplifications.filter { $0.value.confirmedFingerprint != nil }.map(\.key).sorted()
            guard !confirmed.isEmpty else {
                return CaseOutcome(holds: false, detail: "no key was confirmed in a clean session; \(describe(calibration))", session: calibration)
            }
            var random = CaseRandom(seed: ctx.seed, label: "confirmation-mismatch")
            let frame = confirmed[random.int(in: 0...(confirmed.count - 1))]
            let log = FaultLog()
            let s = try await ctx.session(honest(), bob: forging(from: .bob, key: key, log: log) { message in
                guard case .keyConfirmation(var k) = message, k.frame == frame else { return nil }
                k.fingerprint ^= 1
                message = .keyConfirmation(k)
                return "the fingerprint in Bob's confirmation of frame \(frame) altered"
            })
            guard log.landed else { return CaseOutcome(holds: false, detail: "the fault never landed (\(describe(s)))", verdict: .error, session: s) }
            let id = s.wire.amplifications[frame]?.keyID
            let atAlice = s.aliceKeys.contains { $0.keyID == id }, atBob = s.bobKeys.contains { $0.keyID == id }
            return CaseOutcome(
                holds: !atAlice && !atBob && s.mismatchedKeys == 0,
                detail: "\(log.description); frame \(frame)'s key at Alice: \(atAlice ? "yes" : "no"), at Bob: \(atBob ? "yes" : "no"); \(describe(s))",
                measurements: ["frame": Double(frame), "at_alice": atAlice ? 1 : 0, "at_bob": atBob ? 1 : 0], session: s)
        },
    ]

    static let needsKey = CaseOutcome.unimplemented(
        "the harness does not hold the target's authentication key, so it cannot re-authenticate an altered frame")
}
