/// The exit codes of every qkdspec command, defined once: the CLI exits with them and
/// `RunReport.exitCode` records them, so a report and the process that wrote it agree.
package enum ExitStatus {
    /// Every MUST case passed (or failed as the baseline expects); for other commands, success.
    package static let success: Int32 = 0
    /// A conformance failure: a MUST case failed, crashed or timed out.
    package static let conformanceFailure: Int32 = 1
    /// A usage or configuration error (bad option, bad target file, no case selected).
    package static let usage: Int32 = 2
    /// The harness could not run a case.
    package static let harnessFailure: Int32 = 3
    /// Stopped by SIGINT or SIGTERM (128 + SIGINT, as shells report it): the run proves nothing
    /// about the cases it did not reach.
    package static let interrupted: Int32 = 130

    /// What a run's exit code says, in words (reports print it beside the number).
    package static func meaning(_ code: Int32) -> String {
        switch code {
        case success: return "no MUST case failed, or only as the baseline expects"
        case conformanceFailure: return "conformance failures"
        case usage: return "usage or configuration error"
        case harnessFailure: return "the harness could not run a case"
        case interrupted: return "interrupted: the cases not run are not judged"
        default: return ""
        }
    }
}
