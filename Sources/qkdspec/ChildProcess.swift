import Foundation
import Harness

/// The demo's use of a child node: its standard output read as JSON event lines, its standard
/// error in a log file.
extension ChildProcess {
    /// `name` is the node's role, for messages.
    convenience init(name: String, executable: String, arguments: [String], stderrPath: String) throws {
        do { try self.init(command: [executable] + arguments, output: .lines(maximum: 1 << 20), errors: .file(stderrPath)) } catch {
            throw HarnessError("\(name): \(error)")
        }
    }

    /// The next stdout line that parses as a JSON object with "event" == `event` (earlier lines
    /// are consumed).
    func waitForEvent(_ event: String, timeout: TimeInterval) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        while case .line(let line) = nextLine(until: deadline) {
            if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], object["event"] as? String == event {
                return object
            }
        }
        return nil
    }

    /// Waits for the process to exit; kills it after `timeout`. Returns its exit status (nil if
    /// killed or ended by a signal).
    func wait(timeout: TimeInterval) -> Int32? {
        if case .exited(let status) = waitBlocking(until: .now + .milliseconds(Int64(timeout * 1000))) { return status }
        return nil
    }

    func stop() { terminate() }

    /// The last lines of the child's log, for error messages.
    func logTail(_ n: Int = 15) -> String {
        let text = errorsPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        return text.split(separator: "\n").suffix(n).joined(separator: "\n")
    }
}
