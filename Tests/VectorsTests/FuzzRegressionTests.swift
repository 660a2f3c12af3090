import Foundation
import Testing
@testable import Vectors

/// Replays every input kept in Fuzz/regressions/TARGET/ through the code the fuzz target runs
/// (FuzzOracles): a finding, once fixed, stays fixed. Fuzz/README.md says how to add one.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions")

    static func inputs(_ target: String) -> [URL] {
        let dir = root.appendingPathComponent(target)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test("VectorFileFuzzer regressions replay without a trap", arguments: inputs("VectorFileFuzzer"))
    func vectorFile(_ input: URL) throws {
        FuzzOracles.vectorFile(Array(try Data(contentsOf: input)))
    }

    @Test("ShimAnswerFuzzer regressions replay without a trap, and the reference shim refuses them", arguments: inputs("ShimAnswerFuzzer"))
    func shimLine(_ input: URL) throws {
        let bytes = Array(try Data(contentsOf: input))
        FuzzOracles.shimLine(bytes)
        if input.lastPathComponent.hasPrefix("issue12-"), let request = try? JSONParser.parse(bytes) {
            #expect(ReferenceShim.answer(request)["error"]?.string?.contains("eed") == true)
        }
    }

    @Test("the regression directories exist and hold the issue-12 inputs")
    func present() {
        #expect(Self.inputs("ShimAnswerFuzzer").count >= 2)
    }
}
