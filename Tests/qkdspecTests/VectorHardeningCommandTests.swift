import Foundation
import Testing

/// Issue 12: a negative seed in a vector killed `qkdspec shim` and `qkdspec vectors verify` with
/// SIGILL. Through the built executable, both now refuse it and keep running.
@Suite("Vector input hardening, end to end")
struct VectorHardeningCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test("qkdspec shim answers a negative seed and permutation seed with an error and answers the next request")
    func shim() throws {
        let process = Process()
        process.executableURL = QKDSpecBinary.url
        process.arguments = ["shim"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let lines = [
            #"{"id": 1, "algorithm": "BB84-PARAMETER-ESTIMATION", "input": {"bits": 16, "alice": "ffff", "bob": "ffff", "sampleSize": 4, "seed": -1, "alpha": 1e-10, "threshold": 0.1}}"#,
            #"{"id": 2, "algorithm": "CASCADE-TRANSCRIPT", "input": {"bits": 64, "variant": "original", "passes": 4, "qber": 0.03125, "permutationSeed": -5, "bob": "8e19a3945a690386", "transcript": []}}"#,
            #"{"id": 3, "algorithm": "BB84-FINITE-KEY-TLGR2012", "input": {"keyBits": 1000000, "sampleBits": 100000, "qber": 0.01, "leakedBits": 88872.4494855023, "epsilonSecrecy": 1e-10, "epsilonCorrectness": 1e-12}}"#,
        ]
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let answers = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(answers.count == 3)
        #expect(answers.first?.contains("\"error\"") == true && answers.first?.contains("seed") == true)
        #expect(answers.dropFirst().first?.contains("permutationSeed") == true)
        // TLGR 2012's worked example (n = 10^6, k = 10^5, Q = 1 %): 736305 bits.
        #expect(answers.last?.contains("736305") == true)
    }

    @Test("qkdspec vectors verify reports a negative seed as a failed vector (exit 1), not a trap")
    func verify() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-negative-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let source = Self.repository.appendingPathComponent("Fuzz/regressions/VectorFileFuzzer/issue12-negative-seed.json")
        try FileManager.default.copyItem(at: source, to: dir.appendingPathComponent("parameter_estimation.json"))
        let r = try QKDSpecBinary.run(["vectors", "verify", dir.path])
        #expect(r.status == 1, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("refused a valid input") && r.stdout.contains("seed"), "\(r.stdout)")
    }
}
