import Foundation
import PostProcessing
import QKDMath

/// Records Cascade transcripts from the reference implementation as vectors: the full parity
/// exchange of seeded runs, and transcripts that end in a reply for blocks never asked.
/// The replies are re-derived independently by vectors/tools/qkdvectors.py.
package enum CascadeVectorGenerator {
    struct Case {
        var bits: Int, errors: Int, variant: CascadeVariant, seed: UInt64, comment: String, tamper: Bool
    }

    /// The generator's version, in the file's `source.version`: 2 since the initiator asks every
    /// pass's top-level parities in round 0 (version 1 asked each pass's at its start; the parities
    /// disclosed are the same).
    package static let version = "2"

    package static func document() throws -> JSONValue {
        let cases = [
            Case(bits: 64, errors: 2, variant: .original, seed: 1, comment: "one word, two errors", tamper: false),
            Case(bits: 1_000, errors: 20, variant: .original, seed: 2, comment: "1000 bits at 2 %", tamper: false),
            Case(bits: 1_000, errors: 50, variant: .yanetal, seed: 3, comment: "1000 bits at 5 %", tamper: false),
            Case(bits: 2_048, errors: 41, variant: .extended, seed: 4, comment: "2048 bits at 2 %", tamper: false),
            Case(bits: 10_000, errors: 200, variant: .yanetal, seed: 5, comment: "10 000 bits at 2 %", tamper: false),
            Case(bits: 1_000, errors: 20, variant: .original, seed: 6, comment: "a reply with one parity more than asked", tamper: true),
            Case(bits: 256, errors: 5, variant: .original, seed: 0, comment: "permutation seed 0", tamper: false),
            Case(bits: 256, errors: 5, variant: .yanetal, seed: .max, comment: "permutation seed 2^64 - 1 (negative if read as signed)", tamper: false),
        ]
        var valid = [JSONValue](), invalid = [JSONValue]()
        var tcId = 1
        for var c in cases {
            // A transcript vector shows a successful reconciliation: skip seeds whose frame Cascade
            // leaves with residual errors (verification's job, tested elsewhere).
            while !(try reconciles(c)) { c.seed &+= 100 }
            let (alice, bob) = frame(c)
            let qber = Double(c.errors) / Double(c.bits)
            let perms = CascadePermutations(frameBits: c.bits, passes: c.variant.passes, seed: c.seed)
            var transcript = [(round: Int, queries: [[Int]], parities: BitKey)]()
            let outcome = try Cascade.reconcile(alice: alice, bob: bob, variant: c.variant, estimatedQBER: qber, permutations: perms) { req, reply in
                transcript.append((Int(req.round), req.queries.map { [Int($0.pass), Int($0.start), Int($0.end)] }, reply.parities))
            }
            var steps: [JSONValue] = transcript.map { step in
                .object(["round": .int(step.round), "queries": .array(step.queries.map { .array($0.map(JSONValue.int)) }),
                         "parities": .string(step.parities.hex)])
            }
            if c.tamper {
                // Cut the transcript after its second round and give that reply one parity too many.
                steps = Array(steps.prefix(2))
                let last = transcript[1]
                var parities = last.parities
                parities.append(1)
                steps[1] = .object(["round": .int(last.round), "queries": .array(last.queries.map { .array($0.map(JSONValue.int)) }),
                                    "parities": .string(parities.hex), "parityCount": .int(last.queries.count + 1)])
            }
            let test: JSONValue = .object([
                "tcId": .int(tcId), "comment": .string(c.comment), "flags": .array(c.tamper ? [.string("UnaskedParity")] : c.seed == 0 || c.seed == .max ? [.string("SeedBoundary")] : []),
                "bits": .int(c.bits), "variant": .string(c.variant.rawValue), "passes": .int(c.variant.passes), "qber": .double(qber),
                "permutationSeed": .uint(c.seed), "alice": .string(alice.hex), "bob": .string(bob.hex),
                "disclosedParityBits": .int(outcome.disclosedParityBits), "reconciled": .string(outcome.reconciledKey.hex),
                "result": .string(c.tamper ? "invalid" : "valid"), "transcript": .array(steps),
            ])
            if c.tamper { invalid.append(test) } else { valid.append(test) }
            tcId += 1
        }
        let source: JSONValue = .object([
            "name": .string("qkdspec reference (qkdspec vectors generate-cascade)"), "version": .string(version),
            "description": .string("transcripts recorded from the reference initiator (its round 0 asks every pass's top-level parities); every reply is recomputed independently by vectors/tools/qkdvectors.py check"),
        ])
        return .object([
            "algorithm": .string("CASCADE-TRANSCRIPT"), "schema": .string("cascade_schema_v1.json"),
            "numberOfTests": .int(valid.count + invalid.count),
            "header": .array([.string("Known-answer vectors for qkdspec; see vectors/README.md.")]),
            "notes": .object([
                "UnaskedParity": .object([
                    "bugType": .string("PROTOCOL"),
                    "description": .string("A parity reply for blocks never asked must be rejected."),
                    "effect": .string("An initiator that accepts extra parities lets the peer steer which bits it flips."),
                ]),
                "SeedBoundary": .object([
                    "bugType": .string("EDGE_CASE"),
                    "description": .string("Seeds 0 and 2^64 - 1: the full unsigned 64-bit range must be accepted, not read as signed."),
                ]),
            ]),
            "testGroups": .array([
                .object(["type": .string("CascadeTranscriptTest"), "source": source, "tests": .array(valid)]),
                .object(["type": .string("CascadeTranscriptTest"), "source": source, "tests": .array(invalid)]),
            ]),
        ])
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

    /// The document in the canonical form every vector file is written in (``CanonicalJSON``).
    package static func json() throws -> Data {
        Data(CanonicalJSON.text(try document()).utf8)
    }
}
