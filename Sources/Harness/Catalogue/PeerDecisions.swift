import Foundation
import PostProcessing
import QuantumChannel
import Wire

// Neither end trusts the other: each node enforces the rules it can check itself, even when its
// peer (buggy or compromised) says otherwise. The harness holds the pre-shared key, so it can
// rewrite and re-authenticate one side's decision and require the other side to refuse it.
extension Catalogue {
    static let peerDecisions: [ConformanceCase] = [
        forgedProceed(
            id: "bb84/peer/alice-refuses-forged-proceed", title: "Alice refuses a 'proceed' above the threshold",
            scenario: attacked(.interceptResend(fraction: 0.5)),
            requirement: """
                When Bob's estimation result says 'proceed' although the errors it reports put the frame above the declared \
                threshold (a buggy or compromised peer; here forged and re-authenticated by the harness on every frame), Alice \
                must refuse: abort, and deliver nothing.
                """,
            reference: "docs/protocol.md (Alice's checks of Bob's decisions)"),
        forgedProceed(
            id: "bb84/peer/alice-refuses-forged-decoy-proceed", title: "Alice refuses a 'proceed' her decoy statistics forbid",
            scenario: attacked(.photonNumberSplitting),
            requirement: """
                When Bob's estimation result says 'proceed' although Alice's own decoy-state statistics show the single \
                photons cannot carry a key (photon-number splitting; Bob's 'no' forged to 'yes' and re-authenticated by the \
                harness), Alice must refuse: abort, and deliver nothing.
                """,
            reference: "docs/protocol.md (Alice's checks of Bob's decisions); Lo–Ma–Chen 2005"),
        ConformanceCase(
            id: "bb84/peer/bob-refuses-overlong-key", title: "Bob refuses a final length above the bound",
            requirement: """
                When Alice's privacy-amplification message announces a final length above the finite-key bound Bob can compute \
                himself (from the frame, the sample, the declared threshold and ε, and the parity and verification bits he saw \
                disclosed; here raised and re-authenticated by the harness on one frame), Bob must refuse it and store no key \
                from that frame.
                """,
            level: .must, reference: "docs/protocol.md (Bob's checks of Alice's decisions); Tomamichel et al. 2012", tags: ["peer", "keys"]
        ) { ctx in
            if let u = needsWire(ctx, "rewriting a privacy-amplification message") { return u }
            guard let key = ctx.target.authenticationKey else { return needsKey }
            let log = FaultLog()
            let raised = Counter(), chosen = Counter()
            let s = try await ctx.session(honest(), alice: forging(from: .alice, key: key, log: log) { message in
                guard case .privacyAmplification(var p) = message, p.finalBits > 0, raised.add(1) == 0 else { return nil }
                _ = chosen.add(Int(p.frame))
                let before = p.finalBits
                // Half again as long: far above the bound, still shorter than the frame.
                p.finalBits = before + before / 2
                message = .privacyAmplification(p)
                return "frame \(p.frame)'s final length raised from \(before) to \(p.finalBits) bits"
            })
            guard log.landed else { return CaseOutcome(holds: false, detail: "the fault never landed (\(describe(s)))", verdict: .error, session: s) }
            let id = s.wire.amplifications[UInt64(chosen.add(0))]?.keyID
            let storedAtBob = s.bobKeys.contains { $0.keyID == id }
            let refused = refused(s, by: .bob, on: ctx.target.channel)
            return CaseOutcome(holds: !storedAtBob && refused && s.mismatchedKeys == 0,
                               detail: "\(log.description); \(refusal(s)); that frame's key at Bob: \(storedAtBob ? "stored" : "not stored")",
                               session: s)
        },
    ]

    /// Bob's 'no' on every frame of an attacked session forged into 'yes'; Alice must refuse.
    static func forgedProceed(id: String, title: String, scenario: Scenario, requirement: String, reference: String) -> ConformanceCase {
        ConformanceCase(id: id, title: title, requirement: requirement, level: .must, reference: reference,
                        tags: ["peer", "abort"], profiles: [.quick, .ci, .full]) { ctx in
            if let u = needsWire(ctx, "rewriting Bob's estimation result") { return u }
            guard let key = ctx.target.authenticationKey else { return needsKey }
            let log = FaultLog()
            let s = try await ctx.session(scenario, bob: forging(from: .bob, key: key, log: log) { message in
                guard case .estimationResult(var r) = message, !r.proceed else { return nil }
                r.proceed = true
                message = .estimationResult(r)
                return "frame \(r.frame)"
            })
            let forged = log.entries.count
            guard forged > 0 else {
                return CaseOutcome(holds: false, detail: "Bob never said no, so nothing was forged (\(describe(s)))", verdict: .error, session: s)
            }
            let aliceRefused = refused(s, by: .alice, on: ctx.target.channel)
            let delivered = s.aliceKeys.count + s.bobKeys.count
            return CaseOutcome(
                holds: aliceRefused && s.aliceKeys.isEmpty,
                detail: "Bob's 'abort' forged into 'proceed' on \(forged) frames; \(refusal(s, by: .alice)); \(delivered) keys delivered (\(describe(s)))",
                measurements: ["forged": Double(forged), "keys": Double(delivered), "qber_true": try trueQBER(scenario)], session: s)
        }
    }
}
