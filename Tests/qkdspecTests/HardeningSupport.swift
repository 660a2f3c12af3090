import Foundation

/// Helpers of the hardening tests: target files derived from the reference one, a scratch
/// directory per test, and the built executable run from any directory, signalled at will.
struct Scratch {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("qkdspec-harden-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    /// Writes `object` as JSON to `name`; returns the path.
    @discardableResult
    func writeJSON(_ object: Any, _ name: String) throws -> String {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try data.write(to: URL(fileURLWithPath: file(name)))
        return file(name)
    }

    func writeText(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: file(name), atomically: true, encoding: .utf8)
        return file(name)
    }

    func readJSON(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file(name)))) as? [String: Any] ?? [:]
    }
}

enum ReferenceTarget {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// examples/targets/reference.json as a dictionary, to be changed by a test.
    static func object() throws -> [String: Any] {
        let data = try Data(contentsOf: repository.appendingPathComponent("examples/targets/reference.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}

/// The built executable started as a child the test can signal.
final class RunningQKDSpec: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var out = Data(), err = Data()
    private let group = DispatchGroup()

    init(_ arguments: [String], directory: String? = nil, environment extra: [String: String] = [:]) throws {
        process.executableURL = QKDSpecBinary.url
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        var environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        environment["NO_COLOR"] = "1"
        process.environment = environment
        let o = Pipe(), e = Pipe()
        process.standardOutput = o
        process.standardError = e
        try process.run()
        for (pipe, isOut) in [(o, true), (e, false)] {
            group.enter()
            Thread.detachNewThread { [self] in
                while true {
                    let chunk = pipe.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    lock.lock()
                    if isOut { out.append(chunk) } else { err.append(chunk) }
                    lock.unlock()
                }
                group.leave()
            }
        }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }

    /// Waits until the output contains `text` (true) or `seconds` pass (false).
    func waitFor(_ text: String, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if stdout.contains(text) || stderr.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }

    /// Waits for the exit, at most `seconds` (then kills it and returns nil).
    func finish(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        _ = group.wait(timeout: .now() + 5)
        return process.terminationStatus
    }

    static func run(_ arguments: [String], directory: String? = nil, within seconds: Double = 300) throws -> CommandResult {
        let r = try RunningQKDSpec(arguments, directory: directory)
        let status = r.finish(within: seconds) ?? -1
        return CommandResult(status: status, stdout: r.stdout, stderr: r.stderr)
    }
}

/// Processes whose command line contains `marker` (to find orphans the harness left).
func processes(containing marker: String) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { Int32($0) }.filter { pid in
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
        let text = String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
        return text.contains(marker) && !text.contains("swift-test") && !text.contains("xctest")
    }
}
