import Foundation
import Testing

/// The binary carries its vectors: copied alone into an empty directory (as `make install`
/// copies it) and run from there, it still judges the seven vector cases.
@Suite("Embedded vectors, end to end")
struct EmbeddedVectorsCommandTests {
    /// Runs `binary arguments` with `directory` as the working directory.
    func run(_ binary: URL, _ arguments: [String], in directory: URL) throws -> CommandResult {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                             stderr: String(decoding: errData, as: UTF8.self))
    }

    @Test("a copy of the binary alone, run from an empty directory, judges the seven vector cases and lints and verifies its vectors")
    func outsideTheRepository() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-installed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("qkdspec")
        try FileManager.default.copyItem(at: QKDSpecBinary.url, to: binary)
        let work = dir.appendingPathComponent("elsewhere")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)

        let report = work.appendingPathComponent("report.json")
        let r = try run(binary, ["run", "--case", "vectors/*", "--json", report.path], in: work)
        #expect(r.status == 0, "\(r.stdout)\n\(r.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report))
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        #expect(!text.contains("no vectors directory"))
        #expect(!r.stdout.contains("skipped"), "\(r.stdout)")
        #expect(r.stdout.contains("7 cases"), "\(r.stdout)")
        #expect(r.stdout.contains("7 pass"), "\(r.stdout)")

        let lint = try run(binary, ["vectors", "lint"], in: work)
        #expect(lint.status == 0 && lint.stdout.contains("7 passed, 0 failed"), "\(lint.stdout)\(lint.stderr)")
        let verify = try run(binary, ["vectors", "verify"], in: work)
        #expect(verify.status == 0 && verify.stdout.contains("103 passed, 0 failed"), "\(verify.stdout)\(verify.stderr)")
    }
}
