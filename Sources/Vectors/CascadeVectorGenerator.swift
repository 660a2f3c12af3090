import Foundation
import PostProcessing
import QKDMath

/// Records Cascade transcripts from the reference implementation as vectors: the full parity
/// exchange of seeded runs, and transcripts that end in a reply for blocks never asked.
/// The replies are re-derived independently by vectors/tools/qkdvectors.py.
public enum CascadeVectorGenerator {
    struct Case {
        var bits: Int, errors: Int, variant: CascadeVariant, seed: UInt64, comment: String, tamper: Bool
    }

    public static func document() throws -> [String: Any] {
        let cases = [
            Case(bits: 64, errors: 2, variant: .original, seed: 1, comment: "one word, two errors", tamper: false),
            Case(bits: 1_000, errors: 20, variant: .original, seed: 2, comment: "1000 bits at 2 %", tamper: false),
            Case(bits: 1_000, errors: 50, variant: .yanetal, seed: 3, comment: "1000 bits at 5 %", tamper: false),
            Case(bits: 2_048, errors: 41, variant: .extended, seed: 4, comment: "2048 bits at 2 %", tamper: false),
            Case(bits: 10_000, errors: 200, variant: .yanetal, seed: 5, comment: "10 000 bits at 2 %", tamper: false),
            Case(bits: 1_000, errors: 20, variant: .original, seed: 6, comment: "a reply with one parity more than asked", tamper: true),
        ]
        var valid = [[String: Any]](), invalid = [[String: Any]]()
        var tcId = 1
        for var c in cases {
            // A transcript vector shows a successful reconciliation: skip seeds whose frame Cascade
            // leaves with residual errors (verification's job, tested elsewhere).
            while !(try reconciles(c)) { c.seed += 100 }
            let (alice, bob) = frame(c)
            let qber = Double(c.errors) / Double(c.bits)
            let perms = CascadePermutations(frameBits: c.bits, passes: c.variant.passes, seed: c.seed)
            var transcript = [[String: Any]]()
            let outcome = try Cascade.reconcile(alice: alice, bob: bob, variant: c.variant, estimatedQBER: qber, permutations: perms) { req, reply in
                transcript.append([
                    "round": Int(req.round), "queries": req.queries.map { [Int($0.pass), Int($0.start), Int($0.end)] },
                    "parities": reply.parities.hex,
                ])
            }
            var test: [String: Any] = [
                "tcId": tcId, "comment": c.comment, "flags": c.tamper ? ["UnaskedParity"] : [], "bits": c.bits,
                "variant": c.variant.rawValue, "passes": c.variant.passes, "qber": qber, "permutationSeed": Int(c.seed),
                "alice": alice.hex, "bob": bob.hex, "disclosedParityBits": outcome.disclosedParityBits,
                "reconciled": outcome.reconciledKey.hex, "result": c.tamper ? "invalid" : "valid",
            ]
            if c.tamper {
                // Cut the transcript after its second round and give that reply one parity too many.
                var cut = Array(transcript.prefix(2))
                var last = cut[cut.count - 1]
                let queries = (last["queries"] as? [[Int]])?.count ?? 0
                var parities = BitKey(hex: last["parities"] as? String ?? "", count: queries) ?? BitKey(count: queries)
                parities.append(1)
                last["parities"] = parities.hex
                last["parityCount"] = queries + 1
                cut[cut.count - 1] = last
                test["transcript"] = cut
                invalid.append(test)
            } else {
                test["transcript"] = transcript
                valid.append(test)
            }
            tcId += 1
        }
        let source: [String: Any] = [
            "name": "qkdspec reference (qkdspec vectors generate-cascade)",
            "description": "transcripts recorded from the reference initiator (its round 0 asks every pass's top-level parities); every reply is recomputed independently by vectors/tools/qkdvectors.py check",
        ]
        // Version 2: the initiator asks every pass's top-level parities in round 0 (version 1
        // asked each pass's at its start); the parities disclosed are the same.
        return [
            "algorithm": "CASCADE-TRANSCRIPT", "schema": "cascade_schema.json", "generatorVersion": "2",
            "numberOfTests": valid.count + invalid.count,
            "header": ["Known-answer vectors for qkdspec; see vectors/README.md."],
            "notes": [
                "UnaskedParity": ["bugType": "PROTOCOL", "description": "A parity reply for blocks never asked must be rejected."],
            ],
            "testGroups": [
                ["type": "CascadeTranscriptTest", "source": source, "tests": valid],
                ["type": "CascadeTranscriptTest", "source": source, "tests": invalid],
            ],
        ]
    }

    private static func frame(_ c: Case) -> (BitKey, BitKey) {
        var stream = PhiloxStream(seed: c.seed, index: UInt64(c.bits), stream: 0x4B41_5456)
        var words = [UInt64]()
        for _ in 0..<(c.bits + 63) / 64 { words.append(UInt64(stream.nextWord()) << 32 | UInt64(stream.nextWord())) }
        let alice = BitKey(words: words, count: c.bits)
        var bob = alice
        var flipped = Set<Int>()
        while flipped.count < c.errors {
            let j = Int(stream.nextInt(below: UInt32(c.bits)))
            if flipped.insert(j).inserted { bob.flip(j) }
        }
        return (alice, bob)
    }

    private static func reconciles(_ c: Case) throws -> Bool {
        let (alice, bob) = frame(c)
        let perms = CascadePermutations(frameBits: c.bits, passes: c.variant.passes, seed: c.seed)
        let out = try Cascade.reconcile(
            alice: alice, bob: bob, variant: c.variant, estimatedQBER: Double(c.errors) / Double(c.bits), permutations: perms)
        return out.reconciledKey == alice
    }

    /// The document as pretty JSON with sorted keys.
    public static func json() throws -> Data {
        try JSONSerialization.data(withJSONObject: try document(), options: [.prettyPrinted, .sortedKeys])
    }
}
