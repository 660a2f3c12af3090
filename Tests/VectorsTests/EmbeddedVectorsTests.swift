import Foundation
import Testing
@testable import Vectors

@Suite("Embedded vectors")
struct EmbeddedVectorsTests {
    @Test("the vectors compiled in are exactly vectors/ and vectors/schema/ (else: python3 vectors/tools/embed.py)")
    func matchesFiles() throws {
        for (sub, table) in [("", EmbeddedVectors.files), ("schema", EmbeddedVectors.schemas)] {
            let dir = (VectorsTests.directory as NSString).appendingPathComponent(sub)
            let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") }.sorted()
            #expect(table.keys.sorted() == names)
            for n in names {
                let text = try String(contentsOfFile: (dir as NSString).appendingPathComponent(n), encoding: .utf8)
                #expect(table[n] == text, "\(n) differs from its embedded copy: run python3 vectors/tools/embed.py")
            }
        }
    }

    @Test("the embedded vectors lint clean and pass against the reference")
    func lintAndVerify() throws {
        let reports = try VectorLinter.lint(store: .embedded)
        #expect(reports.count == 7)
        for r in reports { #expect(r.problems.isEmpty, "\(r.file): \(r.problems)") }
        let results = try VectorVerifier.verify(store: .embedded)
        #expect(results.map(\.failed) == Array(repeating: 0, count: 7))
        #expect(results.map(\.passed).reduce(0, +) == 103)
    }
}

@Suite("Vector schemas")
struct VectorSchemaShapeTests {
    /// Every property of every schema, with its path.
    static func properties(_ node: JSONValue, _ path: String, into out: inout [(String, JSONValue)]) {
        if let o = node.object {
            for (k, v) in o["properties"]?.object ?? [:] { out.append(("\(path).\(k)", v)) }
            for (k, v) in o { properties(v, "\(path)/\(k)", into: &out) }
        } else if let a = node.array {
            for (i, v) in a.enumerated() { properties(v, "\(path)[\(i)]", into: &out) }
        }
    }

    @Test("every field of every schema has a description; per-algorithm schemas are versioned and reference common.json")
    func shape() throws {
        let names = EmbeddedVectors.schemas.keys.sorted()
        #expect(names.contains("common.json"))
        for name in names {
            let schema = try VectorStore.embedded.schema(named: name).document
            var props: [(String, JSONValue)] = []
            Self.properties(schema, name, into: &props)
            for (path, p) in props { #expect(p["description"]?.string?.isEmpty == false, "\(path) has no description") }
            if name != "common.json" {
                #expect(name.hasSuffix("_schema_v1.json"))
                #expect(EmbeddedVectors.schemas[name]?.contains("common.json#/$defs/") == true)
            }
        }
        // Security-relevant flags say what a stack with the defect gives away.
        for file in try VectorStore.embedded.files() {
            for (flag, note) in file.document["notes"]?.object ?? [:] where ["SECURITY", "AUTH_BYPASS"].contains(note["bugType"]?.string ?? "") {
                #expect(note["effect"]?.string?.isEmpty == false, "\(file.name): \(flag) has no effect")
            }
            for group in file.document["testGroups"]?.array ?? [] {
                #expect(group["source"]?["name"]?.string != nil && group["source"]?["version"]?.string != nil)
            }
        }
    }
}
