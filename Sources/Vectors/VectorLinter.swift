import Foundation

/// `qkdspec vectors lint`: each file against its JSON Schema (vectors/schema/, which may `$ref`
/// common.json), an `algorithm` that matches the schema, unique tcIds, `numberOfTests` equal to
/// the tests present, every flag explained in `notes`, and the file in the one canonical JSON
/// form (``CanonicalJSON``), as Wycheproof checks its files' format.
package enum VectorLinter {
    package struct FileReport: Sendable {
        package let file: String
        package let tests: Int
        package let problems: [String]
    }

    /// The shared definitions every per-algorithm schema may reference.
    package static let commonSchemaName = "common.json"

    package static func lint(directory: String, schemaDirectory: String? = nil) throws(VectorError) -> [FileReport] {
        try lint(store: .directory(directory, schemas: schemaDirectory))
    }

    package static func lint(store: VectorStore) throws(VectorError) -> [FileReport] {
        var reports = [FileReport]()
        for name in try store.fileNames() {
            let file: VectorFile
            do { file = try store.file(named: name) } catch {
                reports.append(FileReport(file: name, tests: 0, problems: [error.message]))
                continue
            }
            reports.append(FileReport(file: name, tests: file.tests.count, problems: lint(file, store: store)))
        }
        if reports.isEmpty { throw VectorError(file: store.label, "no .json vector files found") }
        return reports
    }

    package static func lint(_ file: VectorFile, schemaDirectory: String) -> [String] {
        lint(file, store: .directory(".", schemas: schemaDirectory))
    }

    package static func lint(_ file: VectorFile, store: VectorStore) -> [String] {
        var problems = [String]()
        guard let schemaName = file.schemaName else { return ["no \"schema\" field"] }
        do {
            let schema = try store.schema(named: schemaName)
            var documents: [String: JSONValue] = [:]
            if let common = try? store.schema(named: commonSchemaName) { documents[commonSchemaName] = common.document }
            problems += JSONSchemaValidator(schema: schema.document, documents: documents).validate(file.document)
        } catch {
            problems.append("schema \(schemaName.prefix(80)): \(error.message)")
        }
        if let expected = VectorVerifier.schemaAlgorithms[schemaName] {
            if file.document["algorithm"]?.string != expected {
                problems.append("algorithm is \(file.document["algorithm"].map { "\($0)".prefix(60) } ?? "missing"), schema \(schemaName) describes \(expected)")
            }
        } else {
            problems.append("schema \(schemaName.prefix(80)) is not one qkdspec knows (\(VectorVerifier.schemaAlgorithms.keys.sorted().joined(separator: ", ")))")
        }
        var seen = Set<Int>()
        for (_, test) in file.tests {
            guard let id = test["tcId"]?.int else { continue }
            if !seen.insert(id).inserted { problems.append("tcId \(id) appears more than once") }
        }
        let declared = file.document["numberOfTests"]?.int
        if declared != file.tests.count {
            problems.append("numberOfTests is \(declared.map(String.init) ?? "missing"), the file holds \(file.tests.count) tests")
        }
        let notes = file.document["notes"]?.object ?? [:]
        for (_, test) in file.tests {
            for flag in test["flags"]?.array?.compactMap(\.string) ?? [] where notes[flag] == nil {
                problems.append("tcId \(test["tcId"]?.int ?? 0): flag '\(flag.prefix(60))' has no entry in notes")
            }
        }
        if let line = firstNonCanonicalLine(file) {
            problems.append("not in the canonical JSON form (first difference on line \(line)); rewrite it with its generator (vectors/README.md, \"Format\")")
        }
        return problems
    }

    /// The first line where the file differs from its canonical text, nil when it is canonical.
    static func firstNonCanonicalLine(_ file: VectorFile) -> Int? {
        let canonical = Array(CanonicalJSON.text(file.document).utf8)
        if canonical == file.bytes { return nil }
        var line = 1
        for (a, b) in zip(canonical, file.bytes) {
            if a != b { return line }
            if a == 0x0A { line += 1 }
        }
        return line
    }
}
