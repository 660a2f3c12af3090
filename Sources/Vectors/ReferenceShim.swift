import Foundation
import PostProcessing
import QKDMath

/// The reference shim (`qkdspec shim`): answers shim requests with the reference
/// implementation, so the reference stack meets the vectors the same way any stack does.
package enum ReferenceShim {
    /// The answer to one request (never throws: a refusal is an answer).
    package static func answer(_ request: JSONValue) -> JSONValue {
        let id = request["id"]?.int ?? -1
        guard let algorithm = request["algorithm"]?.string, let input = request["input"], input.object != nil else {
            return .object(["id": .int(id), "error": .string("bad request: it needs \"algorithm\" and an \"input\" object")])
        }
        do {
            guard let output = try compute(algorithm, input) else { return .object(["id": .int(id), "unimplemented": .bool(true)]) }
            return .object(["id": .int(id), "output": .object(output)])
        } catch {
            return .object(["id": .int(id), "error": .string("refused: \(error)")])
        }
    }

    /// The outputs for `input`, nil for an algorithm this shim does not know.
    static func compute(_ algorithm: String, _ t: JSONValue) throws -> [String: JSONValue]? {
        typealias V = VectorVerifier
        switch algorithm {
        case "TOEPLITZ-PRIVACY-AMPLIFICATION":
            let n = try V.count(t, "inputBits"), l = try V.count(t, "outputBits")
            let out = try ToeplitzHash.hash(try V.bits(t, "input", count: n), seed: try V.bits(t, "seed", count: try V.count(t, "seedBits")), outputBits: l)
            return ["output": .string(out.hex)]
        case "GF2_64-POLYHASH-VERIFICATION":
            let n = try V.count(t, "bits")
            let tag = KeyVerification(hashKeys: [try V.word(t, "hashKey")]).tags(try V.bits(t, "key", count: n))[0]
            return ["tag": .string(hex64(tag))]
        case "WEGMAN-CARTER-GF2_64":
            var wc = WegmanCarter(pool: try AuthenticationKeyPool(material: BitKey(words: [try V.word(t, "hashKey"), try V.word(t, "pad")], count: 128)))
            return ["tag": .string(hex64(try wc.tag(try V.bytes(t, "message"), direction: .aliceToBob)))]
        case "BB84-FINITE-KEY-TLGR2012":
            let length = try FiniteKeyLength(
                keyBits: try V.int(t, "keyBits"), sampleBits: try V.int(t, "sampleBits"), toleratedQBER: try V.number(t, "qber"),
                leakedBits: try V.number(t, "leakedBits"), epsilonSecrecy: try V.number(t, "epsilonSecrecy"),
                epsilonCorrectness: try V.number(t, "epsilonCorrectness")
            ).secretKeyBits()
            return ["length": .int(length)]
        case "BB84-PARAMETER-ESTIMATION":
            let n = try V.count(t, "bits")
            let e = try ParameterEstimation.estimate(
                alice: try V.bits(t, "alice", count: n), bob: try V.bits(t, "bob", count: n), sampleSize: try V.count(t, "sampleSize"),
                seed: try V.seed(t, "seed"), alpha: try V.number(t, "alpha"), declaredThreshold: try V.number(t, "threshold"))
            return ["samplePositions": .array(e.samplePositions.map { .int(Int($0)) }), "sampleErrors": .int(e.sampleErrors), "abort": .bool(e.abort)]
        case "BB84-SIFTING":
            let frame = try SiftedFrame(try V.detectionRecords(t), classes: try V.count(t, "classes"))
            var sifted: [JSONValue] = []
            for (c, perBasis) in frame.bits.enumerated() {
                for (b, s) in perBasis.enumerated() where s.count > 0 {
                    sifted.append(.object(["class": .int(c), "basis": .int(b), "bits": .int(s.count),
                                           "detections": .array(s.detections.map { .int(Int($0)) }),
                                           "alice": .string(s.alice.hex), "bob": .string(s.bob.hex)]))
                }
            }
            return ["sifted": .array(sifted)]
        case "CASCADE-TRANSCRIPT":
            return try cascadeAsBob(t)
        default:
            return nil
        }
    }

    /// Plays Bob through a recorded transcript: his queries must be the recorded ones, round by
    /// round; Alice's recorded parities are his replies. Refuses a transcript he diverges from.
    static func cascadeAsBob(_ t: JSONValue) throws -> [String: JSONValue] {
        typealias V = VectorVerifier
        let (variant, qber, perms, keys) = try V.cascadeSetup(t, keys: ["bob"])
        var bob = try CascadeInitiator(key: keys[0], variant: variant, estimatedQBER: qber, permutations: perms)
        var request: CascadeRequest? = bob.start()
        for (round, step) in (t["transcript"]?.array ?? []).enumerated() {
            guard let r = request else { throw ShimError("the transcript goes on after Bob finished (round \(round))") }
            let queries = try V.queries(step)
            guard r.queries.map({ [Int($0.pass), Int($0.start), Int($0.end)] }) == queries else {
                throw ShimError("Bob's queries differ from the transcript in round \(round)")
            }
            let count = step["parityCount"] == nil ? queries.count : try V.count(step, "parityCount")
            request = try bob.receive(CascadeReply(round: r.round, parities: try V.bits(step, "parities", count: count)))
        }
        guard request == nil else { throw ShimError("the transcript ends before Bob finished") }
        return ["reconciled": .string(bob.key.hex), "disclosedParityBits": .int(bob.disclosedParityBits)]
    }

    static func hex64(_ v: UInt64) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
