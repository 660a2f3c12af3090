import Foundation
import PostProcessing
import QKDMath
import QuantumChannel

// Keys: agreement, length, provenance, identity.
extension Catalogue {
    static let keys: [ConformanceCase] = [keyAgreement, lengthWithinWireBound, lengthWithinOracleBound, finalKeyRecomputed, uniqueKeyIDs]

    static let keyAgreement = ConformanceCase(
        id: "bb84/keys/agreement", title: "Both ends deliver identical keys",
        requirement: "Every key delivered must be identical, bit for bit, at Alice and at Bob, under the same key ID.",
        level: .must, reference: "ε_cor-correctness (Tomamichel et al. 2012)", tags: ["keys"]
    ) { ctx in
        let s = try await ctx.session(honest())
        let mismatched = s.mismatchedKeys
        let holds = !s.aliceKeys.isEmpty && mismatched == 0 && s.aliceKeys.count == s.bobKeys.count
        return CaseOutcome(holds: holds, detail: "\(describe(s)), \(mismatched) differ",
                           measurements: ["keys": Double(s.aliceKeys.count), "mismatched": Double(mismatched)], session: s)
    }

    static let lengthWithinWireBound = ConformanceCase(
        id: "bb84/keys/length-within-finite-key-bound", title: "Key length within the finite-key bound",
        requirement: """
            A delivered key must not be longer than the finite-key bound for its frame size, the declared threshold and the \
            leakage the harness counted on the wire.
            """,
        level: .must, reference: "Tomamichel, Lim, Gisin, Renner 2012", tags: ["keys", "leakage"]
    ) { ctx in
        if let u = needsWire(ctx, "counting the leakage") { return u }
        let s = try await ctx.session(honest())
        let d = ctx.target.declared
        var worst = -Double.infinity, over = 0
        var lengths: [Double] = [], bounds: [Double] = []
        // The keys the nodes actually delivered, by ID: an announcement alone is not a key.
        let delivered = Dictionary(s.bobKeys.map { ($0.keyID, $0.key.count) }, uniquingKeysWith: max)
            .merging(s.aliceKeys.map { ($0.keyID, $0.key.count) }, uniquingKeysWith: max)
        for (frame, a) in s.wire.amplifications.sorted(by: { $0.key < $1.key }) where a.finalBits > 0 {
            guard let e = s.wire.estimates[frame], e.siftedBits > e.sampleSize else { continue }
            let length = a.keyID.flatMap { delivered[$0] } ?? 0
            guard length > 0 else { continue }
            let bound = try FiniteKeyLength(
                keyBits: e.siftedBits - e.sampleSize, sampleBits: e.sampleSize, toleratedQBER: d.qberThreshold,
                leakedBits: Double(s.wire.leaked[frame] ?? 0), epsilonSecrecy: d.epsilonSecrecy, epsilonCorrectness: d.epsilonCorrectness
            ).exactLength()
            worst = max(worst, Double(length) - bound)
            if Double(length) > bound { over += 1 }
            lengths.append(Double(length))
            bounds.append(bound)
        }
        let judged = lengths.count
        var m: [String: Double] = ["keys": Double(judged), "over_bound": Double(over), "max_excess_bits": judged > 0 ? worst : 0]
        for (i, (l, b)) in zip(lengths, bounds).enumerated().prefix(64) {
            m["length_\(i)"] = l
            m["bound_\(i)"] = b
        }
        return CaseOutcome(
            holds: judged > 0 && over == 0,
            detail: judged == 0 ? "no delivered key to judge; \(describe(s))" :
                String(format: "%d keys; %d longer than the bound; largest excess %.0f bits", judged, over, worst),
            measurements: m, session: s)
    }

    /// The most key any stack may take from one frame of `n` sifted bits with a `k`-bit sample,
    /// whatever its protocol: the finite-key bound at the declared threshold and ε with the
    /// smallest leakage error correction can have, (n − k)·h(Q) at a lower confidence bound Q of
    /// the true error rate (Shannon's limit, f = 1).
    static func oracleBound(_ d: DeclaredParameters, trueErrors: Int, siftedBits: Int) throws -> Double {
        let n = d.frameBits - d.sampleBits
        let q = trueErrors > 0 ? try ClopperPearson.lowerBound(errors: trueErrors, trials: max(siftedBits, 1), alpha: alpha) : 0
        // A frame's own rate spreads around the session's by about √(q(1 − q)/n): four of those lower.
        let qLow = max(0, q - 4 * (q * (1 - q) / Double(n)).squareRoot())
        return try FiniteKeyLength(keyBits: n, sampleBits: d.sampleBits, toleratedQBER: d.qberThreshold,
                                   leakedBits: Double(n) * binaryEntropy(min(0.5, qLow)),
                                   epsilonSecrecy: d.epsilonSecrecy, epsilonCorrectness: d.epsilonCorrectness).exactLength()
    }

    static let lengthWithinOracleBound = ConformanceCase(
        id: "bb84/keys/length-within-oracle-bound", title: "Key length within the bound the oracle allows any stack",
        requirement: """
            No delivered key may be longer, and the keys of a session together no longer, than the finite-key bound for the \
            declared frame size, sample size, threshold and ε with the least leakage any error correction can have at the true \
            QBER (f = 1): a bound that holds for any protocol, so it is judged on opaque stacks too.
            """,
        level: .must, reference: "Tomamichel, Lim, Gisin, Renner 2012; Slepian–Wolf (leakage ≥ n·h(Q))", tags: ["keys", "leakage"]
    ) { ctx in
        let s = try await ctx.session(honest())
        guard let truth = s.truth else { return .unimplemented("the target does not report the simulated records") }
        let d = ctx.target.declared
        let bound = try oracleBound(d, trueErrors: truth.errors(in: 0..<truth.siftedBits), siftedBits: truth.siftedBits)
        let frames = truth.frameCount(frameBits: d.frameBits)
        // Both ends' keys, each ID once (a key at one end only counts too).
        var byID: [UUID: Int] = [:]
        for k in s.aliceKeys + s.bobKeys { byID[k.keyID] = max(byID[k.keyID] ?? 0, k.key.count) }
        let longest = byID.values.max() ?? 0, total = byID.values.reduce(0, +)
        let perKeyOver = byID.values.filter { Double($0) > bound }.count
        let totalBound = Double(frames) * max(0, bound)
        let holds = byID.count > 0 && perKeyOver == 0 && Double(total) <= totalBound
        var m: [String: Double] = ["keys": Double(byID.count), "oracle_bound": bound, "longest": Double(longest),
                                   "total_bits": Double(total), "total_bound": totalBound]
        for (i, l) in byID.values.sorted().enumerated().prefix(64) {
            m["length_\(i)"] = Double(l)
            m["bound_\(i)"] = bound
        }
        return CaseOutcome(
            holds: holds,
            detail: byID.isEmpty ? "no key was delivered to judge; \(describe(s))" :
                String(format: "%d keys, longest %d bits, %d bits in all; bound %.0f bits per frame, %.0f for the session's %d frames; %d keys over",
                       byID.count, longest, total, bound, totalBound, frames, perKeyOver),
            measurements: m, session: s)
    }

    static let finalKeyRecomputed = ConformanceCase(
        id: "bb84/keys/final-key-from-ground-truth", title: "The final key is what privacy amplification of the true frame gives",
        requirement: """
            Each delivered key must equal, bit for bit, the Toeplitz hash (with the seed and length announced on the wire) of \
            Alice's sifted bits of its frame with the disclosed sample removed, recomputed by the harness from the oracle's \
            records: sample bits left in the key, a wrong seed or a wrong length all fail.
            """,
        level: .must, reference: "docs/postprocessing.md (sampling, privacy amplification); docs/protocol.md", tags: ["keys", "amplification"]
    ) { ctx in
        if let u = needsWire(ctx, "reading the sample and privacy-amplification seeds") { return u }
        let s = try await ctx.session(honest())
        guard let truth = s.truth else { return .unimplemented("the target does not report the simulated records") }
        let n = s.wire.parameters.map { Int($0.frameBits) } ?? ctx.target.declared.frameBits
        let delivered = Dictionary(s.aliceKeys.map { ($0.keyID, $0.key) } + s.bobKeys.map { ($0.keyID, $0.key) }, uniquingKeysWith: { a, _ in a })
        var checked = 0, wrong: [String] = []
        for (frame, a) in s.wire.amplifications.sorted(by: { $0.key < $1.key }) where a.finalBits > 0 {
            guard let id = a.keyID, delivered[id] != nil, let e = s.wire.estimates[frame], let sampleSeed = e.sampleSeed,
                  let range = truth.frameRange(Int(frame), frameBits: n) else { continue }
            let positions = ParameterEstimation.samplePositions(siftedBits: n, sampleSize: e.sampleSize, seed: sampleSeed)
            let remaining = truth.alice.slice(range).removing(sortedPositions: positions)
            guard a.finalBits <= remaining.count else {
                wrong.append("frame \(frame): \(a.finalBits) bits from a frame of \(remaining.count)")
                continue
            }
            let seed = FramePipeline.toeplitzSeed(bits: ToeplitzHash.seedBits(inputBits: remaining.count, outputBits: a.finalBits),
                                                  frameSeed: a.toeplitzSeed)
            let expected = try ToeplitzHash.hash(remaining, seed: seed, outputBits: a.finalBits)
            checked += 1
            for (end, keys) in [("Alice", s.aliceKeys), ("Bob", s.bobKeys)] {
                if let key = keys.first(where: { $0.keyID == id })?.key, key != expected {
                    wrong.append("frame \(frame): \(end)'s key \(key.fingerprint.prefix(16)) is not the recomputed \(expected.fingerprint.prefix(16))")
                }
            }
        }
        return CaseOutcome(
            holds: checked > 0 && wrong.isEmpty,
            detail: checked == 0 ? "no delivered key whose frame the wire describes; \(describe(s))" :
                "\(checked) keys recomputed from the oracle's records" + (wrong.isEmpty ? ", all equal" : "; " + wrong.prefix(4).joined(separator: "; ")),
            measurements: ["checked": Double(checked), "wrong": Double(wrong.count)], session: s)
    }

    static let uniqueKeyIDs = ConformanceCase(
        id: "bb84/keys/unique-key-ids", title: "No key ID is reused, in a session or across sessions",
        requirement: """
            Every delivered key must have its own key ID: no ID may be delivered twice, within a session or by any two \
            sessions of the run.
            """,
        level: .must, reference: "ETSI GS QKD 014 (key_ID unique)", tags: ["keys"]
    ) { ctx in
        let first = try await ctx.session(honest())
        let second = try await ctx.session(honest(), seed: ctx.seed &+ 1)
        let within = [first, second].map { s in s.bobKeys.count - Set(s.bobKeys.map(\.keyID)).count }.reduce(0, +)
        let across = Set(first.bobKeys.map(\.keyID)).intersection(second.bobKeys.map(\.keyID)).count
        let inRun = ctx.runKeys.reusedAcrossSessions.count
        let ids = first.bobKeys.count + second.bobKeys.count
        let (sessions, distinct) = ctx.runKeys.counts
        return CaseOutcome(
            holds: first.bobKeys.count >= 2 && second.bobKeys.count >= 1 && within == 0 && across == 0 && inRun == 0,
            detail: "\(ids) keys in two sessions: \(within) IDs repeated within a session, \(across) shared by the two; "
                + "\(inRun) IDs reused across the run's \(sessions) sessions (\(distinct) distinct)",
            measurements: ["keys": Double(ids), "repeated_within": Double(within), "shared": Double(across), "reused_in_run": Double(inRun)],
            session: inRun > 0 || across > 0 ? second : first)
    }
}
