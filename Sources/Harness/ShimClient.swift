import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The harness's end of a shim: starts the shim's command, writes one JSON request per line to
/// its standard input and reads one answer per line from its standard output, with a deadline
/// per answer (a shim that hangs is a timeout, one that dies a crash).
final class ShimClient: @unchecked Sendable {
    enum Failure: Error {
        case crashed(String)
        case timedOut
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe(), errors = Pipe()
    private let condition = NSCondition()
    private var pending = Data()
    private var lines: [String] = []
    private var ended = false
    /// An answer line longer than this is refused (a shim cannot make the harness allocate without limit).
    static let maximumLine = 64 << 20

    init(command: [String]) throws {
        guard let executable = command.first else { throw HarnessError("the shim command is empty") }
        process.executableURL = URL(fileURLWithPath: CommandPath.resolve(executable))
        process.arguments = Array(command.dropFirst())
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            self?.received(data)
        }
        // A shim that dies before reading its input must be an error on write, not a SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        do { try process.run() } catch {
            throw HarnessError("cannot start the shim '\(command.joined(separator: " "))': \(error.localizedDescription)")
        }
    }

    private func received(_ data: Data) {
        condition.lock()
        defer { condition.broadcast(); condition.unlock() }
        if data.isEmpty { ended = true; return }
        pending.append(data)
        while let newline = pending.firstIndex(of: 0x0A) {
            lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
            pending.removeSubrange(pending.startIndex...newline)
        }
        if pending.count > Self.maximumLine { ended = true }
    }

    /// Sends one request line and waits for one answer line.
    func exchange(_ line: String, timeout: TimeInterval) throws -> String {
        do { try input.fileHandleForWriting.write(contentsOf: Data((line + "\n").utf8)) } catch {
            throw Failure.crashed(stderrTail())
        }
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while lines.isEmpty {
            if ended { throw Failure.crashed(stderrTail()) }
            if !condition.wait(until: deadline) { throw Failure.timedOut }
        }
        return lines.removeFirst()
    }

    /// The signal that killed the shim, if one did. Its standard output closes a moment before
    /// the process is reaped, so this waits (up to 2 s) for the process to end before it says.
    var crashSignal: Int32? {
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        return process.isRunning || process.terminationReason != .uncaughtSignal ? nil : process.terminationStatus
    }

    private func stderrTail() -> String {
        if process.isRunning { return "" }
        let text = String(decoding: errors.fileHandleForReading.availableData.suffix(400), as: UTF8.self)
        let how = process.terminationReason == .uncaughtSignal ? "killed by signal \(process.terminationStatus)" : "exit \(process.terminationStatus)"
        return "the shim ended (\(how))" + (text.isEmpty ? "" : ": \(text)")
    }

    func close() {
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
    }
}
