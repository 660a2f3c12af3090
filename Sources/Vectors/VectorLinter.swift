import Foundation

/// `qkdspec vectors lint`: each file against its JSON Schema (vectors/schema/), unique tcIds,
/// `numberOfTests` equal to the tests present, every flag explained in `notes`.
public enum VectorLinter {
    public struct FileReport: Sendable {
        public let file: String
        public let tests: Int
        public let problems: [String]
    }

    public static func lint(directory: String, schemaDirectory: String? = nil) throws(VectorError) -> [FileReport] {
        let schemas = schemaDirectory ?? (directory as NSString).appendingPathComponent("schema")
        var reports = [FileReport]()
        for path in try VectorFile.files(in: directory) {
            let name = URL(fileURLWithPath: path).lastPathComponent
            let file: VectorFile
            do { file = try VectorFile(path: path) } catch {
                reports.append(FileReport(file: name, tests: 0, problems: [error.message]))
                continue
            }
            reports.append(FileReport(file: name, tests: file.tests.count, problems: lint(file, schemaDirectory: schemas)))
        }
        if reports.isEmpty { throw VectorError(file: directory, "no .json vector files found") }
        return reports
    }

    public static func lint(_ file: VectorFile, schemaDirectory: String) -> [String] {
        var problems = [String]()
        guard let schemaName = file.schemaName else { return ["no \"schema\" field"] }
        let schemaPath = (schemaDirectory as NSString).appendingPathComponent(schemaName)
        do {
            let schema = try VectorFile(path: schemaPath)
            problems += JSONSchemaValidator(schema: schema.document).validate(file.document)
        } catch {
            problems.append("schema \(schemaName): \(error.message)")
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
                problems.append("tcId \(test["tcId"]?.int ?? 0): flag '\(flag)' has no entry in notes")
            }
        }
        return problems
    }
}
