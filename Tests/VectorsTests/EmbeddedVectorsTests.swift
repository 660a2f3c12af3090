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
