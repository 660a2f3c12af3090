import Foundation
import Testing
@testable import Vectors

/// What valid, invalid and acceptable mean for a stack's answers (vectors/README.md).
@Suite("Vector semantics")
struct VectorSemanticsTests {
    static let store = VectorStore.directory(VectorsTests.directory)

    static func all() throws -> [(file: VectorFile, test: JSONValue)] {
        try store.files().flatMap { f in f.tests.map { (f, $0.test) } }
    }

    /// The vector's expected outputs, as a shim that computed them would answer.
    static func expectedOutput(_ file: VectorFile, _ test: JSONValue) -> ShimProtocol.Answer {
        var o: [String: JSONValue] = [:]
        for f in ShimProtocol.outputFields[file.algorithm] ?? [] { o[f] = test[f] }
        return .output(o)
    }

    @Test("a shim that answers an invalid vector with an output fails it (the expected placeholder or anything else); a refusal passes")
    func invalidNeedsRefusal() throws {
        var judged = 0
        for (file, test) in try Self.all() where test["result"]?.string == "invalid" && !ShimProtocol.isTagMismatch(test) {
            // Before: any output differing from the placeholder passed. Now only a refusal does.
            var computed: [String: JSONValue] = [:]
            for f in ShimProtocol.outputFields[file.algorithm] ?? [] { computed[f] = .string("something else") }
            #expect(!ShimProtocol.judge(.output(computed), algorithm: file.algorithm, test: test).ok, "\(file.name) tcId \(test["tcId"]?.int ?? 0)")
            #expect(!ShimProtocol.judge(Self.expectedOutput(file, test), algorithm: file.algorithm, test: test).ok)
            #expect(ShimProtocol.judge(.refused("out of range"), algorithm: file.algorithm, test: test).ok)
            judged += 1
        }
        #expect(judged >= 20)
    }

    @Test("a WrongTag vector passes when the computed tag differs from the forged one or the input is refused, fails when the forged tag is reproduced")
    func wrongTag() throws {
        var judged = 0
        for (file, test) in try Self.all() where ShimProtocol.isTagMismatch(test) {
            #expect(test["result"]?.string == "invalid")
            #expect(!ShimProtocol.judge(Self.expectedOutput(file, test), algorithm: file.algorithm, test: test).ok)
            #expect(ShimProtocol.judge(.output(["tag": .string("0123456789abcdef")]), algorithm: file.algorithm, test: test).ok)
            #expect(ShimProtocol.judge(.refused("tag mismatch"), algorithm: file.algorithm, test: test).ok)
            judged += 1
        }
        #expect(judged == 14)
    }

    @Test("an acceptable vector passes on a refusal or the exact expected outputs, and fails on a wrong output")
    func acceptable() throws {
        let acceptable = try Self.all().filter { $0.test["result"]?.string == "acceptable" }
        #expect(acceptable.count >= 4)
        for (file, test) in acceptable {
            #expect(ShimProtocol.judge(.refused("empty"), algorithm: file.algorithm, test: test).ok)
            #expect(ShimProtocol.judge(Self.expectedOutput(file, test), algorithm: file.algorithm, test: test).ok)
            var wrong: [String: JSONValue] = [:]
            for f in ShimProtocol.outputFields[file.algorithm] ?? [] { wrong[f] = .string("ff") }
            #expect(!ShimProtocol.judge(.output(wrong), algorithm: file.algorithm, test: test).ok, "\(file.name) tcId \(test["tcId"]?.int ?? 0)")
        }
    }

    @Test("the QBER rule at the boundary: a sample exactly at the threshold proceeds, one error above aborts (hand count)")
    func thresholdBoundary() throws {
        let file = try Self.store.file(named: "parameter_estimation.json")
        let boundary = file.tests.map(\.test).filter { ($0["flags"]?.array ?? []).contains(.string("ThresholdBoundary")) }
        #expect(boundary.count >= 6)
        // 8 errors in 100 at 0.08 is equality (8/100 = 0.08): proceed; 9/100 > 0.08: abort.
        let at = try #require(boundary.first { $0["sampleErrors"] == .int(8) && $0["sampleSize"] == .int(100) })
        #expect(at["threshold"] == .double(0.08) && at["abort"] == .bool(false))
        let above = try #require(boundary.first { $0["sampleErrors"] == .int(9) && $0["sampleSize"] == .int(100) })
        #expect(above["abort"] == .bool(true))
        // The reference agrees on every boundary vector.
        for t in boundary { #expect(try VectorVerifier.parameterEstimation(t), "tcId \(t["tcId"]?.int ?? 0)") }
    }

    @Test("seed 2^64 - 1 survives parsing exactly and the reference accepts it")
    func largestSeed() throws {
        let file = try Self.store.file(named: "parameter_estimation.json")
        let t = try #require(file.tests.map(\.test).first { $0["seed"] == .uint(UInt64.max) })
        #expect(try VectorVerifier.seed(t, "seed") == UInt64.max)
        #expect(try VectorVerifier.parameterEstimation(t))
        let cascade = try Self.store.file(named: "cascade.json")
        #expect(cascade.tests.contains { $0.test["permutationSeed"] == .uint(UInt64.max) })
    }

    @Test("the verifier fails an implementation that computes an output for an invalid input")
    func verifierInvalid() throws {
        // A toeplitz vector whose input is fine, marked invalid: the reference computes it, which now fails.
        let dir = try VectorsTests().scratchCopy("toeplitz.json") { text in
            guard let r = text.range(of: "\"result\": \"valid\"") else { return text }
            return text.replacingCharacters(in: r, with: "\"result\": \"invalid\"")
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try VectorVerifier.verify(directory: dir)
        #expect(r.first?.failures.contains { $0.contains("instead of refusing") } == true)
    }
}
