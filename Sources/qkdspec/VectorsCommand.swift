import ArgumentParser
import Foundation
import Vectors

/// `qkdspec vectors`: the known-answer vector files.
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract: "Lint and verify the known-answer vectors (Wycheproof-style JSON).",
        discussion: """
            Each primitive has one file in vectors/ with a JSON Schema in vectors/schema/ (the \
            files and schemas are also compiled into this executable: lint and verify use those \
            copies when no directory is given). Most \
            expected values come from vectors/tools/qkdvectors.py, an independent Python \
            implementation; the Cascade transcripts come from the reference and their replies are \
            re-derived by that script (python3 vectors/tools/qkdvectors.py check vectors).

            Examples:
              qkdspec vectors lint
              qkdspec vectors verify
              qkdspec vectors verify vectors
              qkdspec vectors generate-cascade --out vectors/cascade.json
            """,
        subcommands: [VectorsLint.self, VectorsVerify.self, VectorsGenerateCascade.self]
    )
}

struct VectorsLint: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check every vector file: schema, algorithm, tcIds, numberOfTests, notes and the canonical format.")

    @Argument(help: "Directory of vector files (default: the vectors compiled into this executable).")
    var directory: String?

    @Option(help: "Directory of the JSON Schemas (default: DIRECTORY/schema).")
    var schemas: String?

    func run() throws {
        let reports: [VectorLinter.FileReport]
        let store: VectorStore = directory.map { .directory($0, schemas: schemas) } ?? .embedded
        do { reports = try VectorLinter.lint(store: store) } catch {
            throw UsageError(error.description)
        }
        var problems = 0
        for r in reports {
            print("\(r.problems.isEmpty ? "ok  " : "FAIL") \(r.file) (\(r.tests) tests)")
            for p in r.problems.prefix(20) { print("       \(p)") }
            if r.problems.count > 20 { print("       … \(r.problems.count - 20) more") }
            problems += r.problems.count
        }
        let failed = reports.filter { !$0.problems.isEmpty }.count
        print("\(reports.count - failed) passed, \(failed) failed")
        if problems > 0 { throw ExitCode(ExitStatus.conformanceFailure) }
    }
}

struct VectorsVerify: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Run every vector against the reference implementation; exit 1 on any mismatch.")

    @Argument(help: "Directory of vector files (default: the vectors compiled into this executable).")
    var directory: String?

    func run() throws {
        let results: [VectorVerifier.FileResult]
        do { results = try VectorVerifier.verify(store: directory.map { .directory($0) } ?? .embedded) } catch {
            throw UsageError(error.description)
        }
        var passed = 0, failed = 0
        for r in results {
            print("\(r.failed == 0 ? "ok  " : "FAIL") \(r.file) \(r.algorithm): \(r.passed) passed, \(r.failed) failed")
            for f in r.failures.prefix(20) { print("       \(f)") }
            passed += r.passed
            failed += r.failed
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(ExitStatus.conformanceFailure) }
    }
}

struct VectorsGenerateCascade: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate-cascade", abstract: "Record the Cascade transcript vectors from the reference implementation.")

    @Option(help: "Output file.")
    var out = "vectors/cascade.json"

    func run() throws {
        let data = try CascadeVectorGenerator.json()
        do { try data.write(to: URL(fileURLWithPath: out)) } catch {
            throw UsageError("cannot write \(out): \(error.localizedDescription)")
        }
        print("wrote \(out)")
    }
}
