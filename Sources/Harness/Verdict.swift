/// The outcome of one conformance case.
package enum Verdict: String, Sendable, Codable, CaseIterable {
    /// The requirement holds.
    case pass
    /// A MUST requirement does not hold.
    case fail
    /// A SHOULD requirement does not hold.
    case warn
    /// Informational: measured, nothing required.
    case info
    /// The target declares it does not support what the case needs.
    case unimplemented
    /// Not run (filtered out, or a precondition is missing).
    case skipped
    /// The harness could not run the case (setup problem, internal error).
    case error
    /// The target did not answer in time.
    case timeout
    /// The target crashed.
    case crash

    /// Whether this verdict makes the run fail (exit code 1).
    package var failsRun: Bool { self == .fail || self == .crash || self == .timeout }
}

/// How strongly a case's requirement binds (RFC 2119).
package enum RequirementLevel: String, Sendable, Codable {
    case must = "MUST"
    case should = "SHOULD"
    case may = "MAY"
}
