import Foundation
import Testing
import Vectors
@testable import Harness

/// Known-answer vectors through shims: the reference shim, the Python example, and shims that
/// answer wrong, die or hang.
@Suite("Vector cases through shims", .serialized)
struct ShimTests {
    static let vectors = QKDSpecExecutable.repository.appendingPathComponent("vectors").path

    /// A target whose only interesting part is its shim.
    func target(shim: [String]) throws -> ProcessTarget {
        var file = ReferenceNodeCommand(executable: QKDSpecExecutable.path).targetFile
        file.shim = .init(command: shim)
        return try ProcessTarget(file: file, executable: QKDSpecExecutable.path, workRoot: NSTemporaryDirectory())
    }

    func run(_ t: any SessionTarget, _ include: String = "vectors/*") async -> [String: CaseResult] {
        var r = Runner(target: t, profile: .quick, include: [include], exclude: [], seed: 1, version: "test")
        r.vectorsDirectory = Self.vectors
        let report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        return Dictionary(uniqueKeysWithValues: report.results.map { ($0.id, $0) })
    }

    func script(_ body: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("shim-\(UUID()).py").path
        try ("import json, os, sys, time\n" + body).write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("requests carry the inputs only: expected outputs, bookkeeping and (for Cascade) Alice's key are withheld")
    func requests() throws {
        let file = try VectorFile(path: "\(Self.vectors)/toeplitz.json")
        let test = try #require(file.tests.first?.test)
        let r = ShimProtocol.request(id: 1, algorithm: file.algorithm, test: test)
        #expect(r.input["output"] == nil && r.input["tcId"] == nil && r.input["result"] == nil && r.input["input"] != nil)
        let cascade = try #require(try VectorFile(path: "\(Self.vectors)/cascade.json").tests.first?.test)
        let c = ShimProtocol.request(id: 2, algorithm: "CASCADE-TRANSCRIPT", test: cascade)
        #expect(c.input["alice"] == nil && c.input["bob"] != nil && c.input["transcript"] != nil && c.input["reconciled"] == nil)
    }

    @Test("judging: valid needs the outputs, a WrongTag vector a refusal or a different tag, hex is case-blind")
    func judging() {
        let valid: JSONValue = .object(["result": .string("valid"), "tag": .string("00ff00ff00ff00ff")])
        let invalid: JSONValue = .object(["result": .string("invalid"), "flags": .array([.string("WrongTag")]), "tag": .string("00ff00ff00ff00ff")])
        let alg = "WEGMAN-CARTER-GF2_64"
        #expect(ShimProtocol.judge(.output(["tag": .string("00FF00FF00FF00FF")]), algorithm: alg, test: valid).ok)
        #expect(!ShimProtocol.judge(.output(["tag": .string("00ff00ff00ff00fe")]), algorithm: alg, test: valid).ok)
        #expect(!ShimProtocol.judge(.refused("no"), algorithm: alg, test: valid).ok)
        #expect(ShimProtocol.judge(.refused("no"), algorithm: alg, test: invalid).ok)
        #expect(ShimProtocol.judge(.output(["tag": .string("1111111111111111")]), algorithm: alg, test: invalid).ok)
        #expect(!ShimProtocol.judge(.output(["tag": .string("00ff00ff00ff00ff")]), algorithm: alg, test: invalid).ok)
        #expect(throws: ShimError.self) { try ShimProtocol.answer("{\"id\": 3, \"output\": {}}", id: 4) }
        #expect(throws: ShimError.self) { try ShimProtocol.answer("not json", id: 4) }
    }

    @Test("the reference shim (qkdspec shim) answers all seven vector files right")
    func referenceShim() async throws {
        let results = await run(try target(shim: [QKDSpecExecutable.path, "shim"]))
        #expect(results.count == 7)
        for (id, r) in results { #expect(r.verdict == .pass, "\(id): \(r.detail)") }
    }

    @Test("the Python example shim passes what it implements and reports the rest unimplemented")
    func pythonExample() async throws {
        let t = try target(shim: ["python3", QKDSpecExecutable.repository.appendingPathComponent("examples/shim-python/shim.py").path])
        let results = await run(t)
        #expect(results["vectors/toeplitz"]?.verdict == .pass, "\(results["vectors/toeplitz"]?.detail ?? "")")
        #expect(results["vectors/finite-key"]?.verdict == .pass, "\(results["vectors/finite-key"]?.detail ?? "")")
        for id in ["vectors/sifting", "vectors/parameter-estimation", "vectors/verification", "vectors/wegman-carter", "vectors/cascade"] {
            #expect(results[id]?.verdict == .unimplemented, "\(id)")
        }
    }

    @Test("a shim that answers wrong fails naming the vectors; one that dies is a crash; no shim is unimplemented")
    func badShims() async throws {
        let wrong = try script("""
            for line in sys.stdin:
                r = json.loads(line)
                print(json.dumps({"id": r["id"], "output": {"length": 7}}), flush=True)
            """)
        let w = await run(try target(shim: ["python3", wrong]), "vectors/finite-key")
        #expect(w["vectors/finite-key"]?.verdict == .fail)
        #expect(w["vectors/finite-key"]?.detail.contains("tcId 1: differs in length") == true)

        let dies = try script("""
            sys.stdin.readline()
            os.kill(os.getpid(), 9)
            """)
        let d = await run(try target(shim: ["python3", dies]), "vectors/toeplitz")
        #expect(d["vectors/toeplitz"]?.verdict == .crash, "\(d["vectors/toeplitz"]?.detail ?? "")")

        let none = await run(InProcessTarget(), "vectors/toeplitz")
        #expect(none["vectors/toeplitz"]?.verdict == .unimplemented, "no executable, no shim")
    }
}

@Suite("The JSON report's documented schema")
struct ReportSchemaTests {
    @Test("a real report (with a shard, a repeat, evidence and a baseline mark) validates against docs/report-schema.json")
    func schema() async throws {
        var target = InProcessTarget(bugs: [.reuseKeyID])
        target.executable = QKDSpecExecutable.path
        var r = Runner(target: target, profile: .quick, include: ["keys/unique-key-ids", "bb84/estimate/*"], exclude: [], seed: 3, version: "test")
        r.repeatCount = 2
        r.shard = Shard(index: 0, count: 1)
        r.baseline = ExpectedFailures(target: target.name, expectedFailures: [.init(id: "keys/unique-key-ids", verdict: "fail", reason: nil)])
        var report = await r.run(r.selection(), reproduceCommand: "qkdspec run")
        report.results[0].evidence = "evidence/x"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let value = try JSONDecoder().decode(JSONValue.self, from: encoder.encode(report))
        let schemaData = try Data(contentsOf: QKDSpecExecutable.repository.appendingPathComponent("docs/report-schema.json"))
        let validator = JSONSchemaValidator(schema: try JSONDecoder().decode(JSONValue.self, from: schemaData))
        #expect(validator.validate(value) == [])
        #expect(report.results.contains { $0.expectedFailure } && report.exitCode == 0)
        // The schema is strict: an unknown field or verdict is reported.
        var broken = try #require(value.object)
        broken["surprise"] = .int(1)
        #expect(!validator.validate(.object(broken)).isEmpty)
    }
}
