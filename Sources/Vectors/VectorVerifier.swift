import Foundation
import PostProcessing
import QKDMath

/// `qkdspec vectors verify`: runs every vector against the reference implementation.
///
/// A `valid` vector passes when the implementation computes the expected outputs; an `invalid`
/// one passes when the implementation refuses the input (a typed error) or, for tags, when the
/// tag does not verify; `acceptable` passes either way.
public enum VectorVerifier {
    public struct FileResult: Sendable {
        public let file: String
        public let algorithm: String
        public var passed = 0
        public var failures: [String] = []
        public var failed: Int { failures.count }
    }

    public static func verify(directory: String) throws(VectorError) -> [FileResult] {
        let paths = try VectorFile.files(in: directory)
        guard !paths.isEmpty else { throw VectorError(file: directory, "no .json vector files found") }
        return try paths.map { (path: String) throws(VectorError) -> FileResult in try verify(VectorFile(path: path)) }
    }

    public static func verify(_ file: VectorFile) throws(VectorError) -> FileResult {
        var result = FileResult(file: file.name, algorithm: file.algorithm)
        let runner: (JSONValue) throws -> Bool
        switch file.schemaName {
        case "sifting_schema.json": runner = sifting
        case "parameter_estimation_schema.json": runner = parameterEstimation
        case "verification_schema.json": runner = verificationHash
        case "toeplitz_schema.json": runner = toeplitz
        case "wegman_carter_schema.json": runner = wegmanCarter
        case "finite_key_schema.json": runner = finiteKey
        case "cascade_schema.json": runner = cascade
        default: throw VectorError(file: file.name, "unknown schema '\(file.schemaName ?? "none")'")
        }
        for (_, test) in file.tests {
            let id = test["tcId"]?.int ?? 0
            let expectation = test["result"]?.string ?? "valid"
            let outcome: Result<Bool, any Error> = Result { try runner(test) }
            switch (expectation, outcome) {
            case ("acceptable", _): result.passed += 1
            case ("valid", .success(true)): result.passed += 1
            case ("valid", .success(false)): result.failures.append("tcId \(id): output differs from the expected value")
            case ("valid", .failure(let e)): result.failures.append("tcId \(id): refused a valid input: \(e)")
            case ("invalid", .success(true)): result.failures.append("tcId \(id): accepted an invalid input")
            case ("invalid", _): result.passed += 1
            default: result.failures.append("tcId \(id): unknown result '\(expectation)'")
            }
        }
        return result
    }

    // MARK: Field helpers

    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func int(_ t: JSONValue, _ key: String) throws -> Int {
        guard let v = t[key]?.int else { throw Missing(description: "field \(key) missing or not an integer") }
        return v
    }

    static func number(_ t: JSONValue, _ key: String) throws -> Double {
        guard let v = t[key]?.number else { throw Missing(description: "field \(key) missing or not a number") }
        return v
    }

    static func bits(_ t: JSONValue, _ key: String, count: Int) throws -> BitKey {
        guard let hex = t[key]?.string, let key = BitKey(hex: hex, count: count) else {
            throw Missing(description: "field \(key) is not \(count) bits of hex")
        }
        return key
    }

    static func word(_ t: JSONValue, _ key: String) throws -> UInt64 {
        guard let hex = t[key]?.string, hex.count == 16, let v = UInt64(hex, radix: 16) else {
            throw Missing(description: "field \(key) is not 16 hex digits")
        }
        return v
    }

    static func bytes(_ t: JSONValue, _ key: String) throws -> [UInt8] {
        guard let hex = t[key]?.string, hex.count % 2 == 0 else { throw Missing(description: "field \(key) is not hex bytes") }
        var out = [UInt8]()
        var i = hex.startIndex
        while i < hex.endIndex {
            let j = hex.index(i, offsetBy: 2)
            guard let b = UInt8(hex[i..<j], radix: 16) else { throw Missing(description: "field \(key) is not hex bytes") }
            out.append(b)
            i = j
        }
        return out
    }

    // MARK: Runners (true = the implementation reproduced the expected outputs / accepted)

    static func sifting(_ t: JSONValue) throws -> Bool {
        let n = try int(t, "detections")
        let records = DetectionRecords(
            aliceBits: try bits(t, "aliceBits", count: n), aliceBases: try bits(t, "aliceBases", count: n),
            bobBits: try bits(t, "bobBits", count: n), bobBases: try bits(t, "bobBases", count: t["bobBasesBits"]?.int ?? n),
            intensityClasses: (t["intensityClasses"]?.array ?? []).compactMap(\.int).map { UInt8(truncatingIfNeeded: $0) })
        let frame = try SiftedFrame(records, classes: try int(t, "classes"))
        let expected = t["sifted"]?.array ?? []
        var got = [(Int, Int, SiftedBits)]()
        for (c, perBasis) in frame.bits.enumerated() {
            for (b, s) in perBasis.enumerated() where s.count > 0 { got.append((c, b, s)) }
        }
        guard got.count == expected.count else { return false }
        for ((c, b, s), e) in zip(got, expected) {
            let count = try int(e, "bits")
            guard c == (try int(e, "class")), b == (try int(e, "basis")), s.count == count,
                  s.detections.map(Int.init) == (e["detections"]?.array ?? []).compactMap(\.int),
                  s.alice == (try bits(e, "alice", count: count)), s.bob == (try bits(e, "bob", count: count))
            else { return false }
        }
        return true
    }

    static func parameterEstimation(_ t: JSONValue) throws -> Bool {
        let n = try int(t, "bits")
        let e = try ParameterEstimation.estimate(
            alice: try bits(t, "alice", count: n), bob: try bits(t, "bob", count: n), sampleSize: try int(t, "sampleSize"),
            seed: UInt64(try int(t, "seed")), alpha: try number(t, "alpha"), declaredThreshold: try number(t, "threshold"))
        let expectedErrors = try int(t, "sampleErrors")
        return e.samplePositions.map(Int.init) == (t["samplePositions"]?.array ?? []).compactMap(\.int)
            && e.sampleErrors == expectedErrors && e.abort == t["abort"]?.bool
    }

    static func verificationHash(_ t: JSONValue) throws -> Bool {
        let n = try int(t, "bits")
        let v = KeyVerification(hashKeys: [try word(t, "hashKey")])
        return v.matches(try bits(t, "key", count: n), aliceTags: [try word(t, "tag")])
    }

    static func toeplitz(_ t: JSONValue) throws -> Bool {
        let n = try int(t, "inputBits"), l = try int(t, "outputBits")
        let out = try ToeplitzHash.hash(
            try bits(t, "input", count: n), seed: try bits(t, "seed", count: try int(t, "seedBits")), outputBits: l)
        return out == (try bits(t, "output", count: l))
    }

    static func wegmanCarter(_ t: JSONValue) throws -> Bool {
        let material = BitKey(words: [try word(t, "hashKey"), try word(t, "pad")], count: 128)
        var wc = WegmanCarter(pool: try AuthenticationKeyPool(material: material))
        try wc.verify(try bytes(t, "message"), tag: try word(t, "tag"), direction: .aliceToBob)
        return true
    }

    static func finiteKey(_ t: JSONValue) throws -> Bool {
        let length = try FiniteKeyLength(
            keyBits: try int(t, "keyBits"), sampleBits: try int(t, "sampleBits"), toleratedQBER: try number(t, "qber"),
            leakedBits: try number(t, "leakedBits"), epsilonSecrecy: try number(t, "epsilonSecrecy"),
            epsilonCorrectness: try number(t, "epsilonCorrectness")
        ).secretKeyBits()
        return length == (try int(t, "length"))
    }

    /// Replays a recorded transcript: Bob's queries must match round by round, Alice's replies
    /// must match, and Bob must end with the expected key and disclosure count. Invalid
    /// transcripts end in a reply Bob must refuse.
    static func cascade(_ t: JSONValue) throws -> Bool {
        let n = try int(t, "bits")
        guard let variant = CascadeVariant(rawValue: t["variant"]?.string ?? "") else { throw Missing(description: "unknown variant") }
        let qber = try number(t, "qber")
        let perms = CascadePermutations(frameBits: n, passes: variant.passes, seed: UInt64(try int(t, "permutationSeed")))
        var alice = try CascadeResponder(key: try bits(t, "alice", count: n), variant: variant, estimatedQBER: qber, permutations: perms)
        var bob = try CascadeInitiator(key: try bits(t, "bob", count: n), variant: variant, estimatedQBER: qber, permutations: perms)
        var request: CascadeRequest? = bob.start()
        for step in t["transcript"]?.array ?? [] {
            guard let r = request else { return false }
            let queries = (step["queries"]?.array ?? []).map { q -> [Int] in (q.array ?? []).compactMap(\.int) }
            guard r.queries.map({ [Int($0.pass), Int($0.start), Int($0.end)] }) == queries else { return false }
            let reply = try alice.answer(r)
            let count = step["parityCount"]?.int ?? queries.count
            let recorded = CascadeReply(round: r.round, parities: try bits(step, "parities", count: count))
            if count == queries.count && recorded != reply { return false }
            request = try bob.receive(recorded)
        }
        let reconciled = try bits(t, "reconciled", count: n), disclosed = try int(t, "disclosedParityBits")
        return request == nil && bob.key == reconciled && bob.disclosedParityBits == disclosed
    }
}
