import Foundation
import Testing
@testable import Vectors

@Suite("Known-answer vectors")
struct VectorsTests {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("vectors").path

    @Test("the committed vectors lint clean: schema, unique tcIds, numberOfTests")
    func lint() throws {
        let reports = try VectorLinter.lint(directory: Self.directory)
        #expect(reports.count == 7)
        for r in reports { #expect(r.problems.isEmpty, "\(r.file): \(r.problems)") }
    }

    @Test("every committed vector passes against the reference implementation")
    func verify() throws {
        let results = try VectorVerifier.verify(directory: Self.directory)
        #expect(results.count == 7)
        for r in results {
            #expect(r.failures.isEmpty, "\(r.file): \(r.failures)")
            #expect(r.passed > 0)
        }
    }

    @Test("every file has invalid cases, and every primitive a group from the independent Python implementation")
    func coverage() throws {
        for path in try VectorFile.files(in: Self.directory) {
            let file = try VectorFile(path: path)
            #expect(file.tests.contains { $0.test["result"]?.string == "invalid" }, "\(file.name) has no invalid case")
            let sources = (file.document["testGroups"]?.array ?? []).compactMap { $0["source"]?["name"]?.string }
            if file.name == "cascade.json" {
                #expect(sources.allSatisfy { $0.contains("qkdspec reference") })
            } else {
                #expect(sources.contains("vectors/tools/qkdvectors.py"), "\(file.name)")
            }
        }
    }

    func schemaProblems(_ json: String, schema: String) throws -> [String] {
        let value = try JSONParser.parse(json)
        let s = try JSONParser.parse(schema)
        return JSONSchemaValidator(schema: s).validate(value)
    }

    @Test("the schema validator catches wrong types, missing and extra fields, enums, patterns and minimums")
    func schemaValidator() throws {
        let schema = """
        {"type": "object", "required": ["a", "b"], "additionalProperties": false,
         "properties": {"a": {"type": "integer", "minimum": 1}, "b": {"enum": ["valid", "invalid"]},
                        "c": {"type": "string", "pattern": "^[0-9a-f]*$"}, "d": {"type": "array", "items": {"type": "boolean"}}}}
        """
        #expect(try schemaProblems(#"{"a": 1, "b": "valid", "c": "00ff", "d": [true]}"#, schema: schema).isEmpty)
        #expect(try schemaProblems(#"{"a": 1.5, "b": "valid"}"#, schema: schema).count == 1)
        #expect(try schemaProblems(#"{"a": true, "b": "valid"}"#, schema: schema).count == 1)
        #expect(try schemaProblems(#"{"a": 0, "b": "valid"}"#, schema: schema).count == 1)
        #expect(try schemaProblems(#"{"b": "maybe"}"#, schema: schema).count == 2)
        #expect(try schemaProblems(#"{"a": 1, "b": "valid", "e": 1}"#, schema: schema).count == 1)
        #expect(try schemaProblems(#"{"a": 1, "b": "valid", "c": "XYZ"}"#, schema: schema).count == 1)
        #expect(try schemaProblems(#"{"a": 1, "b": "valid", "d": [1]}"#, schema: schema).count == 1)
        #expect(try schemaProblems("{}", schema: #"{"oneOf": []}"#).count == 1)  // unsupported keyword is reported
    }

    /// A copy of a committed file with `edit` applied to its JSON text, in a scratch directory.
    func scratchCopy(_ name: String, edit: (String) -> String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-vectors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("schema"), withIntermediateDirectories: true)
        let text = try String(contentsOfFile: "\(Self.directory)/\(name)", encoding: .utf8)
        try edit(text).write(to: dir.appendingPathComponent(name), atomically: true, encoding: .utf8)
        for schema in try FileManager.default.contentsOfDirectory(atPath: "\(Self.directory)/schema") where !FileManager.default.fileExists(atPath: dir.appendingPathComponent("schema/\(schema)").path) {
            try FileManager.default.copyItem(atPath: "\(Self.directory)/schema/\(schema)", toPath: dir.appendingPathComponent("schema/\(schema)").path)
        }
        return dir.path
    }

    @Test("lint catches a wrong numberOfTests, a duplicate tcId and an unexplained flag")
    func lintCatches() throws {
        let wrongCount = try scratchCopy("finite_key.json") { $0.replacingOccurrences(of: "\"numberOfTests\": 18", with: "\"numberOfTests\": 19") }
        #expect(try VectorLinter.lint(directory: wrongCount).first?.problems.contains { $0.contains("numberOfTests") } == true)
        let duplicate = try scratchCopy("finite_key.json") { $0.replacingOccurrences(of: "\"tcId\": 2", with: "\"tcId\": 1") }
        #expect(try VectorLinter.lint(directory: duplicate).first?.problems.contains { $0.contains("more than once") } == true)
        let flag = try scratchCopy("finite_key.json") { $0.replacingOccurrences(of: "\"flags\": [],", with: "\"flags\": [\"Mystery\"],") }
        #expect(try VectorLinter.lint(directory: flag).first?.problems.contains { $0.contains("Mystery") } == true)
        for dir in [wrongCount, duplicate, flag] { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test("verify catches a wrong expected value and an invalid case marked valid")
    func verifyCatches() throws {
        let wrong = try scratchCopy("finite_key.json") { $0.replacingOccurrences(of: "\"length\": 736305", with: "\"length\": 736306") }
        let r = try VectorVerifier.verify(directory: wrong)
        #expect(r.first?.failed == 1)
        let flipped = try scratchCopy("wegman_carter.json") { $0.replacingOccurrences(of: "\"result\": \"invalid\"", with: "\"result\": \"valid\"") }
        #expect(try VectorVerifier.verify(directory: flipped).first?.failed == 6)
        for dir in [wrong, flipped] { try? FileManager.default.removeItem(atPath: dir) }
    }

    @Test("a file that is not JSON is a clear error, not a crash")
    func malformed() throws {
        let dir = try scratchCopy("toeplitz.json") { String($0.prefix(100)) }
        let reports = try VectorLinter.lint(directory: dir)
        #expect(reports.first?.problems.first?.contains("not valid JSON") == true)
        #expect(throws: VectorError.self) { try VectorVerifier.verify(directory: dir) }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
