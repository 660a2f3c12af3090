import ArgumentParser
import Foundation
import Vectors

/// `qkdspec shim`: the reference stack's shim for known-answer vectors.
struct ShimCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shim",
        abstract: "Answer known-answer vector requests with the reference implementation (JSON lines on stdin → stdout).",
        discussion: """
            The harness starts a target's shim and sends it one JSON request per line:
              {"id": 1, "algorithm": "TOEPLITZ-PRIVACY-AMPLIFICATION", "input": {...}}
            and reads one answer per line, in order:
              {"id": 1, "output": {"output": "a5"}}   computed outputs
              {"id": 1, "error": "refused: ..."}     the input is refused (right for
                                                     invalid vectors)
              {"id": 1, "unimplemented": true}       the stack does not implement it
            docs/targets.md lists the inputs and outputs per algorithm; examples/shim-python/ is a shim in plain Python. This command is the reference stack's shim.

            Example:
              echo '{"id":1,"algorithm":"BB84-FINITE-KEY-TLGR2012","input":{"keyBits":1000000,"sampleBits":100000,"qber":0.01,"leakedBits":88872.45,"epsilonSecrecy":1e-10,"epsilonCorrectness":1e-12}}' | qkdspec shim
            """)

    func run() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        while let line = readLine(strippingNewline: true) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            let answer: JSONValue
            if line.utf8.count > 64 << 20 {
                answer = .object(["id": .int(-1), "error": .string("bad request: a line over 64 MiB")])
            } else if let request = try? JSONParser.parse(Array(line.utf8)) {
                answer = ReferenceShim.answer(request)
            } else {
                answer = .object(["id": .int(-1), "error": .string("bad request: not JSON")])
            }
            FileHandle.standardOutput.write(try encoder.encode(answer) + Data("\n".utf8))
        }
    }
}
