import Foundation
import PostProcessing
import QKDMath

/// `qkdspec vectors verify`: runs every vector against the reference implementation.
///
/// A `valid` vector passes when the implementation computes the expected outputs. An `invalid`
/// one passes only when the implementation refuses the input (a typed error); the one exception
/// is a vector flagged `WrongTag` (see ``ShimProtocol/tagMismatchFlags``), whose tag is what a
/// forger presents: there a tag that does not verify is the refusal. An `acceptable` vector
/// passes when the implementation refuses it or computes exactly the expected outputs.
package enum VectorVerifier {
    package struct FileResult: Sendable {
        package let file: String
        package let algorithm: String
        package var passed = 0
        package var failures: [String] = []
        package var failed: Int { failures.count }
    }

    /// The algorithm each versioned schema describes; `vectors lint` requires the pair to match.
    package static let schemaAlgorithms: [String: String] = [
        "sifting_schema_v1.json": "BB84-SIFTING",
        "parameter_estimation_schema_v1.json": "BB84-PARAMETER-ESTIMATION",
        "verification_schema_v1.json": "GF2_64-POLYHASH-VERIFICATION",
        "toeplitz_schema_v1.json": "TOEPLITZ-PRIVACY-AMPLIFICATION",
        "wegman_carter_schema_v1.json": "WEGMAN-CARTER-GF2_64",
        "finite_key_schema_v1.json": "BB84-FINITE-KEY-TLGR2012",
        "cascade_schema_v1.json": "CASCADE-TRANSCRIPT",
    ]

    static let runners: [String: @Sendable (JSONValue) throws -> Bool] = [
        "BB84-SIFTING": sifting,
        "BB84-PARAMETER-ESTIMATION": parameterEstimation,
        "GF2_64-POLYHASH-VERIFICATION": verificationHash,
        "TOEPLITZ-PRIVACY-AMPLIFICATION": toeplitz,
        "WEGMAN-CARTER-GF2_64": wegmanCarter,
        "BB84-FINITE-KEY-TLGR2012": finiteKey,
        "CASCADE-TRANSCRIPT": cascade,
    ]

    package static func verify(directory: String) throws(VectorError) -> [FileResult] {
        try verify(store: .directory(directory))
    }

    package static func verify(store: VectorStore) throws(VectorError) -> [FileResult] {
        let files = try store.files()
        guard !files.isEmpty else { throw VectorError(file: store.label, "no .json vector files found") }
        return try files.map { (f: VectorFile) throws(VectorError) -> FileResult in try verify(f) }
    }

    package static func verify(_ file: VectorFile) throws(VectorError) -> FileResult {
        var result = FileResult(file: file.name, algorithm: file.algorithm)
        guard let schema = file.schemaName, let algorithm = schemaAlgorithms[schema] else {
            throw VectorError(file: file.name, "unknown schema '\(file.schemaName ?? "none")'")
        }
        guard algorithm == file.algorithm, let runner = runners[algorithm] else {
            throw VectorError(file: file.name, "algorithm '\(file.algorithm)' does not match its schema \(schema) (\(algorithm))")
        }
        for (_, test) in file.tests {
            let id = test["tcId"]?.int ?? 0
            let expectation = test["result"]?.string ?? "valid"
            let outcome: Result<Bool, any Error> = Result { try runner(test) }
            let tagMismatch = ShimProtocol.isTagMismatch(test)
            switch (expectation, outcome) {
            case ("valid", .success(true)): result.passed += 1
            case ("valid", .success(false)): result.failures.append("tcId \(id): output differs from the expected value")
            case ("valid", .failure(let e)): result.failures.append("tcId \(id): refused a valid input: \(e)")
            case ("invalid", .failure): result.passed += 1
            case ("invalid", .success(false)) where tagMismatch: result.passed += 1
            case ("invalid", .success): result.failures.append("tcId \(id): computed an output for an invalid input instead of refusing it")
            case ("acceptable", .failure), ("acceptable", .success(true)): result.passed += 1
            case ("acceptable", .success(false)): result.failures.append("tcId \(id): an acceptable input answered with a wrong output")
            default: result.failures.append("tcId \(id): unknown result '\(expectation)'")
            }
        }
        return result
    }

    // MARK: Field helpers (every numeric field checked for sign, size and kind before use)

    struct FieldError: Error, CustomStringConvertible {
        let description: String
    }

    /// The largest count (of bits, detections, sample positions) a vector may give: far above
    /// any vector, far below what would make an allocation or an index computation overflow.
    static let maximumCount = 1 << 30

    /// Any integer.
    static func int(_ t: JSONValue, _ key: String) throws -> Int {
        guard let v = t[key]?.int else { throw FieldError(description: "field \(key) missing or not an integer in range") }
        return v
    }

    /// A count: an integer in 0 … ``maximumCount``.
    static func count(_ t: JSONValue, _ key: String) throws -> Int {
        guard let v = t[key]?.int else { throw FieldError(description: "field \(key) missing or not an integer") }
        guard v >= 0, v <= maximumCount else { throw FieldError(description: "field \(key) = \(v) is outside 0 … \(maximumCount)") }
        return v
    }

    /// A 64-bit seed: an integer in 0 … 2^64 − 1 (a negative or fractional seed is refused).
    static func seed(_ t: JSONValue, _ key: String) throws -> UInt64 {
        guard let v = t[key]?.uint64 else { throw FieldError(description: "field \(key) missing or not an integer in 0 … 2^64 − 1") }
        return v
    }

    static func number(_ t: JSONValue, _ key: String) throws -> Double {
        guard let v = t[key]?.number else { throw FieldError(description: "field \(key) missing or not a number") }
        return v
    }

    static func bits(_ t: JSONValue, _ key: String, count: Int) throws -> BitKey {
        // Bound the count by the hex given before BitKey computes with it (no overflow, no huge allocation).
        guard let hex = t[key]?.string, count >= 0, count <= hex.utf8.count * 4, let value = BitKey(hex: hex, count: count) else {
            throw FieldError(description: "field \(key) is not \(count) bits of hex")
        }
        return value
    }

    static func word(_ t: JSONValue, _ key: String) throws -> UInt64 {
        guard let hex = t[key]?.string, hex.utf8.count == 16, let v = UInt64(hex, radix: 16) else {
            throw FieldError(description: "field \(key) is not 16 hex digits")
        }
        return v
    }

    static func bytes(_ t: JSONValue, _ key: String) throws -> [UInt8] {
        guard let hex = t[key]?.string, hex.utf8.count % 2 == 0 else { throw FieldError(description: "field \(key) is not hex bytes") }
        var out = [UInt8]()
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8? = nil
        for c in hex.utf8 {
            let v: UInt8
            switch c {
            case 0x30...0x39: v = c - 0x30
            case 0x61...0x66: v = c - 0x57
            case 0x41...0x46: v = c - 0x37
            default: throw FieldError(description: "field \(key) is not hex bytes")
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }

    /// Intensity classes: integers in 0 … 255 (a class that does not fit a byte is refused, not truncated).
    static func classes(_ t: JSONValue, _ key: String) throws -> [UInt8] {
        guard let items = t[key]?.array else { throw FieldError(description: "field \(key) missing or not an array") }
        return try items.map { item in
            guard let v = item.int, v >= 0, v <= 255 else { throw FieldError(description: "field \(key) holds a class outside 0 … 255") }
            return UInt8(v)
        }
    }

    /// A list of integers (positions, detections); nil entries (not integers) are kept apart as nil.
    static func ints(_ t: JSONValue, _ key: String) -> [Int?] { (t[key]?.array ?? []).map(\.int) }

    /// The sifting inputs.
    static func detectionRecords(_ t: JSONValue) throws -> DetectionRecords {
        let n = try count(t, "detections")
        let bobBasesBits = t["bobBasesBits"] == nil ? n : try count(t, "bobBasesBits")
        return DetectionRecords(
            aliceBits: try bits(t, "aliceBits", count: n), aliceBases: try bits(t, "aliceBases", count: n),
            bobBits: try bits(t, "bobBits", count: n), bobBases: try bits(t, "bobBases", count: bobBasesBits),
            intensityClasses: try classes(t, "intensityClasses"))
    }

    /// The Cascade inputs shared by the verifier and the shim; keys are read before anything is
    /// sized by the frame length, and the frame length is bounded before permutations are drawn.
    static func cascadeSetup(_ t: JSONValue, keys: [String]) throws -> (CascadeVariant, Double, CascadePermutations, [BitKey]) {
        let n = try count(t, "bits")
        guard let variant = CascadeVariant(rawValue: t["variant"]?.string ?? "") else { throw FieldError(description: "unknown Cascade variant") }
        guard n >= 1, n <= CascadeInitiator.maximumFrameBits else {
            throw FieldError(description: "field bits = \(n) is outside 1 … \(CascadeInitiator.maximumFrameBits)")
        }
        let parsed = try keys.map { try bits(t, $0, count: n) }
        let seed = try seed(t, "permutationSeed")
        let qber = try number(t, "qber")
        return (variant, qber, CascadePermutations(frameBits: n, passes: variant.passes, seed: seed), parsed)
    }

    /// One transcript step's queries as (pass, start, end), refusing anything that is not three integers.
    static func queries(_ step: JSONValue) throws -> [[Int]] {
        try (step["queries"]?.array ?? []).map { q in
            let values = (q.array ?? []).compactMap(\.int)
            guard values.count == 3, q.array?.count == 3 else { throw FieldError(description: "a query is not three integers") }
            return values
        }
    }

    // MARK: Runners (true = the implementation reproduced the expected outputs / accepted)

    static func sifting(_ t: JSONValue) throws -> Bool {
        let frame = try SiftedFrame(try detectionRecords(t), classes: try count(t, "classes"))
        let expected = t["sifted"]?.array ?? []
        var got = [(Int, Int, SiftedBits)]()
        for (c, perBasis) in frame.bits.enumerated() {
            for (b, s) in perBasis.enumerated() where s.count > 0 { got.append((c, b, s)) }
        }
        guard got.count == expected.count else { return false }
        for ((c, b, s), e) in zip(got, expected) {
            let count = try count(e, "bits")
            guard c == (try int(e, "class")), b == (try int(e, "basis")), s.count == count,
                  s.detections.map(Int.init) == ints(e, "detections"),
                  s.alice == (try bits(e, "alice", count: count)), s.bob == (try bits(e, "bob", count: count))
            else { return false }
        }
        return true
    }

    static func parameterEstimation(_ t: JSONValue) throws -> Bool {
        let n = try count(t, "bits")
        let e = try ParameterEstimation.estimate(
            alice: try bits(t, "alice", count: n), bob: try bits(t, "bob", count: n), sampleSize: try count(t, "sampleSize"),
            seed: try seed(t, "seed"), alpha: try number(t, "alpha"), declaredThreshold: try number(t, "threshold"))
        return e.samplePositions.map(Int.init) == ints(t, "samplePositions")
            && e.sampleErrors == t["sampleErrors"]?.int && e.abort == t["abort"]?.bool
    }

    static func verificationHash(_ t: JSONValue) throws -> Bool {
        let n = try count(t, "bits")
        let v = KeyVerification(hashKeys: [try word(t, "hashKey")])
        return v.matches(try bits(t, "key", count: n), aliceTags: [try word(t, "tag")])
    }

    static func toeplitz(_ t: JSONValue) throws -> Bool {
        let n = try count(t, "inputBits"), l = try count(t, "outputBits")
        let out = try ToeplitzHash.hash(
            try bits(t, "input", count: n), seed: try bits(t, "seed", count: try count(t, "seedBits")), outputBits: l)
        return out == (try bits(t, "output", count: l))
    }

    /// False when the tag does not verify (the refusal a WrongTag vector asks for).
    static func wegmanCarter(_ t: JSONValue) throws -> Bool {
        let material = BitKey(words: [try word(t, "hashKey"), try word(t, "pad")], count: 128)
        var wc = WegmanCarter(pool: try AuthenticationKeyPool(material: material))
        let message = try bytes(t, "message"), tag = try word(t, "tag")
        do { try wc.verify(message, tag: tag, direction: .aliceToBob) } catch { return false }
        return true
    }

    static func finiteKey(_ t: JSONValue) throws -> Bool {
        let length = try FiniteKeyLength(
            keyBits: try int(t, "keyBits"), sampleBits: try int(t, "sampleBits"), toleratedQBER: try number(t, "qber"),
            leakedBits: try number(t, "leakedBits"), epsilonSecrecy: try number(t, "epsilonSecrecy"),
            epsilonCorrectness: try number(t, "epsilonCorrectness")
        ).secretKeyBits()
        return length == t["length"]?.int
    }

    /// Replays a recorded transcript: Bob's queries must match round by round, Alice's replies
    /// must match, and Bob must end with the expected key and disclosure count. Invalid
    /// transcripts end in a reply Bob must refuse.
    static func cascade(_ t: JSONValue) throws -> Bool {
        let (variant, qber, perms, keys) = try cascadeSetup(t, keys: ["alice", "bob"])
        var alice = try CascadeResponder(key: keys[0], variant: variant, estimatedQBER: qber, permutations: perms)
        var bob = try CascadeInitiator(key: keys[1], variant: variant, estimatedQBER: qber, permutations: perms)
        var request: CascadeRequest? = bob.start()
        for step in t["transcript"]?.array ?? [] {
            guard let r = request else { return false }
            let queries = try queries(step)
            guard r.queries.map({ [Int($0.pass), Int($0.start), Int($0.end)] }) == queries else { return false }
            let reply = try alice.answer(r)
            let count = step["parityCount"] == nil ? queries.count : try count(step, "parityCount")
            let recorded = CascadeReply(round: r.round, parities: try bits(step, "parities", count: count))
            if count == queries.count && recorded != reply { return false }
            request = try bob.receive(recorded)
        }
        let reconciled = try bits(t, "reconciled", count: keys[0].count)
        return request == nil && bob.key == reconciled && bob.disclosedParityBits == t["disclosedParityBits"]?.int
    }
}
