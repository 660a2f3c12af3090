import Foundation
import Testing
@testable import Harness

/// A stack's malformed key output is the stack's fault: the case fails, naming the file and the
/// line, instead of the harness giving up with an error.
@Suite("Malformed key output", .serialized)
struct KeyOutputVerdictTests {
    @Test("a node that writes a line that is not a key fails the case, naming the file and line (not an error, not exit 3)")
    func malformedLineFails() async throws {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-keyout-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: work) }
        // Nodes that write their key outputs and end: one good line at Bob, a broken second line at Alice.
        let good = #"{"key_id": "5f0c7c44-8f4e-4b2a-9a51-4c8b0b6a1e01", "hex": "00ff", "bits": 16}"#
        let alice = ["/bin/sh", "-c", "printf '%s\\nnot a key\\n' '\(good)' > {alice_keys}"]
        let bob = ["/bin/sh", "-c", "printf '%s\\n' '\(good)' > {bob_keys}"]
        var file = TargetFile(
            name: "broken key output", controlProtocol: .opaque,
            alice: .init(command: alice, control: "127.0.0.1:{alice_control_port}", qli: "127.0.0.1:{alice_qli_port}", keyOutput: "{alice_keys}"),
            bob: .init(command: bob, control: nil, qli: "127.0.0.1:{bob_qli_port}", keyOutput: "{bob_keys}"),
            declared: DeclaredParameters())
        file.blocks = 1
        file.blockPulses = 1 << 20
        let target = try ProcessTarget(file: file, executable: QKDSpecExecutable.path, workRoot: work)
        let runner = Runner(target: target, profile: .quick, include: ["bb84/keys/agreement"], exclude: [], seed: 1, version: "test")
        let report = await runner.run(runner.selection(), reproduceCommand: "qkdspec run")
        let result = try #require(report.results.first)
        #expect(result.verdict == .fail, "\(result.verdict): \(result.detail)")
        #expect(result.detail.contains("alice.keys") && result.detail.contains("line 2"), "\(result.detail)")
        #expect(report.exitCode == 1)
    }
}
