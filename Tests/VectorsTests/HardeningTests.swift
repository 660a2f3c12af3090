import Foundation
import Testing
@testable import Vectors

/// Hostile vector files and shim requests: refused with a clear error, never a trap.
@Suite("Vector input hardening")
struct HardeningTests {
    func test(_ name: String, tcId: Int) throws -> JSONValue {
        let file = try VectorStore.directory(VectorsTests.directory).file(named: name)
        return try #require(file.tests.map(\.test).first { $0["tcId"]?.int == tcId })
    }

    func replacing(_ t: JSONValue, _ key: String, _ value: JSONValue) -> JSONValue {
        var o = t.object ?? [:]
        o[key] = value
        return .object(o)
    }

    func shim(_ algorithm: String, _ input: JSONValue) -> JSONValue {
        ReferenceShim.answer(.object(["id": .int(1), "algorithm": .string(algorithm), "input": input]))
    }

    @Test("a negative, fractional or too large seed is refused by the reference shim and the verifier (it trapped before)")
    func seeds() throws {
        let estimation = try test("parameter_estimation.json", tcId: 1)
        let cascade = try test("cascade.json", tcId: 1)
        for bad: JSONValue in [.int(-1), .int(Int.min), .double(1.5), .string("1")] {
            let a = shim("BB84-PARAMETER-ESTIMATION", replacing(estimation, "seed", bad))
            #expect(a["error"]?.string?.contains("seed") == true, "\(a)")
            #expect(throws: (any Error).self) { try VectorVerifier.parameterEstimation(replacing(estimation, "seed", bad)) }
            let c = shim("CASCADE-TRANSCRIPT", replacing(cascade, "permutationSeed", bad))
            #expect(c["error"]?.string?.contains("permutationSeed") == true, "\(c)")
            #expect(throws: (any Error).self) { try VectorVerifier.cascade(replacing(cascade, "permutationSeed", bad)) }
        }
    }

    @Test("negative or huge counts are refused before anything is sized by them")
    func counts() throws {
        let cascade = try test("cascade.json", tcId: 1)
        for bad in [-1, Int.max, 1 << 40] {
            #expect(shim("CASCADE-TRANSCRIPT", replacing(cascade, "bits", .int(bad)))["error"] != nil)
            let parity = replacing(cascade, "transcript", .array([.object(["round": .int(0), "queries": .array([]), "parities": .string(""), "parityCount": .int(bad)])]))
            #expect(shim("CASCADE-TRANSCRIPT", parity)["error"] != nil)
        }
        let toeplitz = try test("toeplitz.json", tcId: 1)
        for key in ["inputBits", "outputBits", "seedBits"] {
            for bad in [-1, Int.max, Int.min] {
                #expect(shim("TOEPLITZ-PRIVACY-AMPLIFICATION", replacing(toeplitz, key, .int(bad)))["error"] != nil, "\(key) \(bad)")
            }
        }
        let sifting = try test("sifting.json", tcId: 2)
        for (key, bad) in [("detections", JSONValue.int(-8)), ("detections", .int(Int.max)), ("bobBasesBits", .int(-1)),
                           ("classes", .int(-1)), ("classes", .int(Int.max)), ("intensityClasses", .array([.int(-1)])),
                           ("intensityClasses", .array(Array(repeating: .int(256), count: 8)))] {
            #expect(shim("BB84-SIFTING", replacing(sifting, key, bad))["error"] != nil, "\(key)")
        }
        let estimation = try test("parameter_estimation.json", tcId: 1)
        for (key, bad) in [("bits", JSONValue.int(-1)), ("sampleSize", .int(-1)), ("sampleSize", .int(Int.max)), ("bits", .int(Int.max))] {
            #expect(shim("BB84-PARAMETER-ESTIMATION", replacing(estimation, key, bad))["error"] != nil, "\(key)")
        }
        let verification = try test("verification.json", tcId: 1)
        #expect(shim("GF2_64-POLYHASH-VERIFICATION", replacing(verification, "bits", .int(Int.max)))["error"] != nil)
        let finite = try test("finite_key.json", tcId: 1)
        for key in ["keyBits", "sampleBits"] {
            #expect(shim("BB84-FINITE-KEY-TLGR2012", replacing(finite, key, .int(Int.min)))["error"] != nil)
        }
    }

    @Test("lint refuses a schema path outside the schema directory instead of following it")
    func schemaTraversal() throws {
        for name in ["../../etc/passwd", "/etc/passwd", "../schema/common.json", ".hidden.json", "a/b.json"] {
            let dir = try VectorsTests().scratchCopy("finite_key.json") {
                $0.replacingOccurrences(of: "\"schema\": \"finite_key_schema_v1.json\"", with: "\"schema\": \"\(name)\"")
            }
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let problems = try VectorLinter.lint(directory: dir).first?.problems ?? []
            #expect(problems.contains { $0.contains("plain file name") }, "\(name): \(problems)")
            #expect(!problems.contains { $0.contains("root") })
        }
    }

    @Test("lint checks the algorithm against the schema")
    func algorithm() throws {
        let dir = try VectorsTests().scratchCopy("finite_key.json") {
            $0.replacingOccurrences(of: "\"algorithm\": \"BB84-FINITE-KEY-TLGR2012\"", with: "\"algorithm\": \"TOEPLITZ-PRIVACY-AMPLIFICATION\"")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = try VectorLinter.lint(directory: dir).first?.problems ?? []
        #expect(problems.contains { $0.contains("describes BB84-FINITE-KEY-TLGR2012") }, "\(problems)")
        #expect(throws: VectorError.self) { try VectorVerifier.verify(directory: dir) }
    }

    @Test("a valid 1 M-character hex string passes lint (it failed under the regular expression)")
    func megabyteHex() throws {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef")
        let hex = String((0..<1_000_000).map { _ in digits[Int(generator.next() % 16)] })
        let dir = try VectorsTests().scratchCopy("toeplitz.json") { text in
            // The first test's input replaced, the file rewritten in the canonical form.
            guard case .object(var doc)? = try? JSONParser.parse(text), case .array(var groups)? = doc["testGroups"],
                  case .object(var group) = groups[0], case .array(var tests)? = group["tests"], case .object(var first) = tests[0]
            else { return text }
            first["input"] = .string(hex)
            tests[0] = .object(first)
            group["tests"] = .array(tests)
            groups[0] = .object(group)
            doc["testGroups"] = .array(groups)
            return CanonicalJSON.text(.object(doc))
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = try VectorFile(path: "\(dir)/toeplitz.json")
        #expect(file.tests.contains { $0.test["input"]?.string?.utf8.count == 1_000_000 })
        let problems = try VectorLinter.lint(directory: dir).first?.problems ?? []
        #expect(problems.isEmpty, "\(problems.prefix(3))")
        // The same check still catches an odd length and an upper-case digit.
        let schema = #"{"type": "string", "format": "HexBytes"}"#
        #expect(try VectorsTests().schemaProblems("\"\(hex)0\"", schema: schema).count == 1)
        #expect(try VectorsTests().schemaProblems("\"\(hex.dropLast(2))AB\"", schema: schema).count == 1)
    }

    @Test("lint requires the canonical format: the same document written another way fails")
    func canonical() throws {
        let dir = try VectorsTests().scratchCopy("finite_key.json") { $0.replacingOccurrences(of: "\n ", with: "\n  ") }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let problems = try VectorLinter.lint(directory: dir).first?.problems ?? []
        #expect(problems == ["not in the canonical JSON form (first difference on line 2); rewrite it with its generator (vectors/README.md, \"Format\")"])
        // Hand-checked canonical text: sorted names, one-space indent, Python's float spelling.
        let value: JSONValue = .object(["b": .array([.int(1), .double(1e-10), .double(0.5), .double(1e16)]), "a": .object([:]), "c": .string("x\"\u{1}é")])
        #expect(CanonicalJSON.text(value) == "{\n \"a\": {},\n \"b\": [\n  1,\n  1e-10,\n  0.5,\n  1e+16\n ],\n \"c\": \"x\\\"\\u0001é\"\n}\n")
    }

    @Test("a shim answer must say exactly one thing")
    func answers() throws {
        #expect(throws: ShimError.self) { try ShimProtocol.answer(#"{"id": 1, "output": {}, "error": "x"}"#, id: 1) }
        #expect(throws: ShimError.self) { try ShimProtocol.answer(#"{"id": 1, "error": "x", "unimplemented": true}"#, id: 1) }
        #expect(throws: ShimError.self) { try ShimProtocol.answer(#"{"id": 1, "unimplemented": false}"#, id: 1) }
        #expect(throws: ShimError.self) { try ShimProtocol.answer(#"{"id": 1, "error": 5}"#, id: 1) }
        #expect(try ShimProtocol.answer(#"{"id": 1, "error": "no"}"#, id: 1) == .refused("no"))
        #expect(try ShimProtocol.answer(#"{"id": 1, "unimplemented": true}"#, id: 1) == .unimplemented)
    }
}
