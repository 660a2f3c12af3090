import Foundation

/// A baseline of known failures (`--expected FILE`): listed cases that fail do not fail the run,
/// and a listed case that passes is reported as an unexpected pass, so the baseline can shrink.
/// `--write-expected FILE` writes the failures of a run in this format.
package struct ExpectedFailures: Sendable, Codable, Equatable {
    package struct Entry: Sendable, Codable, Equatable {
        package var id: String
        /// The verdict seen when the baseline was written (informational).
        package var verdict: String
        /// Why the failure is accepted, for the humans who read the file.
        package var reason: String?
    }

    package var tool = "qkdspec"
    package var target: String
    package var expectedFailures: [Entry]

    enum CodingKeys: String, CodingKey {
        case tool, target
        case expectedFailures = "expected_failures"
    }

    package init(target: String, expectedFailures: [Entry]) {
        self.target = target
        self.expectedFailures = expectedFailures
    }

    /// The failures of `report`, as a baseline.
    package init(report: RunReport) {
        target = report.target
        var seen = Set<String>()
        expectedFailures = report.results.filter { $0.verdict.failsRun && seen.insert($0.id).inserted }
            .map { Entry(id: $0.id, verdict: $0.verdict.rawValue, reason: nil) }
    }

    package func lists(_ id: String) -> Bool { expectedFailures.contains { Catalogue.currentID($0.id) == id } }

    package static func load(path: String) throws -> ExpectedFailures {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot read the baseline \(path): \(FileProblem.reason(error))")
        }
        do { return try JSONDecoder().decode(ExpectedFailures.self, from: data) } catch {
            throw HarnessError("the baseline \(path) is not a qkdspec expected-failures file ({\"target\", \"expected_failures\": [{\"id\", \"verdict\"}]}): \(error)")
        }
    }

    package func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { try encoder.encode(self).write(to: URL(fileURLWithPath: path)) } catch {
            throw HarnessError("cannot write the baseline to \(path): \(FileProblem.reason(error))")
        }
    }
}
