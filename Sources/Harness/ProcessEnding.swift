/// How a child process (a node, a shim) ended.
package enum ProcessEnding: Sendable, Equatable, CustomStringConvertible {
    case exited(Int32)
    case crashed(signal: Int32)
    /// Still running when its time was up (then killed).
    case timedOut

    package var description: String {
        switch self {
        case .exited(let s): return "exit \(s)"
        case .crashed(let s): return "killed by signal \(s)"
        case .timedOut: return "still running at the deadline"
        }
    }
}

/// How a node process ended (the sessions' name for ``ProcessEnding``).
package typealias NodeEnding = ProcessEnding
