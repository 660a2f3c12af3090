import Foundation

/// The harness's end of a shim: starts the shim's command, writes one JSON request per line to
/// its standard input and reads one answer per line from its standard output, with a deadline
/// per answer (a shim that hangs is a timeout, one that dies a crash). Its standard error is
/// drained as it comes (a shim that logs never blocks on a full pipe) and its last 4 KiB go into
/// the case's detail when the shim dies.
final class ShimClient: Sendable {
    enum Failure: Error {
        case crashed(String)
        case timedOut
    }

    private let process: ChildProcess
    /// An answer line longer than this is refused with "line too long" (docs/targets.md, Shim):
    /// a shim cannot make the harness allocate without limit.
    static let maximumLine = 16 << 20
    /// How much of the shim's standard error is kept for the report.
    static let stderrKept = 4096

    init(command: [String]) throws {
        do {
            process = try ChildProcess(command: command, input: .pipe, output: .lines(maximum: Self.maximumLine),
                                       errors: .tail(bytes: Self.stderrKept))
        } catch {
            throw HarnessError("cannot start the shim: \(error)")
        }
    }

    /// Sends one request line and waits for one answer line.
    func exchange(_ line: String, timeout: TimeInterval) throws -> String {
        do { try process.write(Data((line + "\n").utf8)) } catch {
            throw Failure.crashed(ended())
        }
        switch process.nextLine(until: Date().addingTimeInterval(timeout)) {
        case .line(let answer): return answer
        case .timedOut: throw Failure.timedOut
        case .ended: throw Failure.crashed(ended())
        case .tooLong:
            process.kill()
            throw Failure.crashed("line too long: an answer line over \(Self.maximumLine >> 20) MiB (the limit docs/targets.md states)")
        }
    }

    /// Non-nil when the shim died while the harness still expected answers — a crash, as
    /// docs/targets.md says: the signal that killed it, or 0 when it exited by itself. Nil while
    /// it runs and when the harness ended it (a line too long). Its standard output closes a
    /// moment before it can be reaped, so this waits (up to 2 s) for it to end.
    var crashSignal: Int32? {
        switch process.waitBlocking(until: .now + .seconds(2)) {
        case _ where process.killedByHarness: return nil
        case .crashed(let signal): return signal
        case .exited: return 0
        case .timedOut: return nil
        }
    }

    /// What the shim's ending was, with the tail of its standard error.
    private func ended() -> String {
        let ending = process.waitBlocking(until: .now + .seconds(2))
        let how = ending == .timedOut ? "closed its output but still runs" : "ended (\(ending)) before answering"
        let tail = process.errorTail.trimmingCharacters(in: .whitespacesAndNewlines)
        return "the shim \(how)" + (tail.isEmpty ? "" : "; its standard error ends: \(tail)")
    }

    func close() {
        process.closeInput()
        _ = process.waitBlocking(until: .now + .seconds(2))
        process.kill()
    }
}
