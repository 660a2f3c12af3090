import Foundation

/// A child process whose stdout is read line by line (JSON event lines) and whose stderr goes
/// to a log file, for the demo and the harness to start nodes.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    let name: String
    let stderrPath: String
    private let lock = NSLock()
    private var buffer = Data()
    private var lines: [String] = []
    private var closed = false
    private let lineArrived = DispatchSemaphore(value: 0)

    init(name: String, executable: String, arguments: [String], stderrPath: String) throws {
        self.name = name
        self.stderrPath = stderrPath
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let handle = out.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                lock.lock()
                if data.isEmpty {
                    closed = true
                    lock.unlock()
                    lineArrived.signal()
                    return
                }
                buffer.append(data)
                while let newline = buffer.firstIndex(of: 0x0A) {
                    lines.append(String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self))
                    buffer.removeSubrange(buffer.startIndex...newline)
                }
                lock.unlock()
                lineArrived.signal()
            }
        }
    }

    /// The first stdout line that parses as a JSON object with "event" == `event`.
    func waitForEvent(_ event: String, timeout: TimeInterval) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        var seen = 0
        while true {
            lock.lock()
            let snapshot = lines
            let isClosed = closed
            lock.unlock()
            for line in snapshot[seen...] {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                   object["event"] as? String == event {
                    return object
                }
            }
            seen = snapshot.count
            if isClosed { return nil }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            _ = lineArrived.wait(timeout: .now() + min(remaining, 0.5))
        }
    }

    /// Waits for the process to exit; kills it after `timeout`. Returns its status (nil if killed).
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            return nil
        }
        return process.terminationStatus
    }

    func stop() {
        if process.isRunning { process.terminate() }
    }

    /// The last lines of the child's log, for error messages.
    func logTail(_ n: Int = 15) -> String {
        let text = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }

    /// This executable's path, to start child nodes from the same build.
    static var selfExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
