/// One conformance case: a short declarative value naming what is checked and why, and the
/// check itself. Reading the catalogue reads the requirements.
public struct ConformanceCase: Sendable {
    /// Stable ID anchored in what it checks, e.g. `bb84/abort/qber-above-threshold/intercept-resend`.
    public let id: String
    public let title: String
    /// The requirement, in our own words.
    public let requirement: String
    public let level: RequirementLevel
    /// Spec clause or paper.
    public let reference: String
    public let tags: [String]
    /// Profiles that include the case.
    public let profiles: Set<Profile>
    let check: @Sendable (CaseContext) async throws -> CaseOutcome

    public init(id: String, title: String, requirement: String, level: RequirementLevel, reference: String, tags: [String] = [],
                profiles: Set<Profile> = [.quick, .ci, .full], check: @escaping @Sendable (CaseContext) async throws -> CaseOutcome) {
        self.id = id
        self.title = title
        self.requirement = requirement
        self.level = level
        self.reference = reference
        self.tags = tags
        self.profiles = profiles
        self.check = check
    }
}

/// Named selections of cases.
public enum Profile: String, Sendable, Codable, CaseIterable {
    case quick, ci, full
}

/// What a case's check found: whether the requirement held, and the evidence.
public struct CaseOutcome: Sendable {
    public var holds: Bool
    public var detail: String
    public var measurements: [String: Double]
    /// A verdict of its own (crash, timeout, unimplemented) instead of pass/fail.
    public var verdict: Verdict?

    public init(holds: Bool, detail: String, measurements: [String: Double] = [:], verdict: Verdict? = nil) {
        self.holds = holds
        self.detail = detail
        self.measurements = measurements
        self.verdict = verdict
    }
}

/// What a case runs against.
public struct CaseContext: Sendable {
    public let target: ReferenceTarget
    public let seed: UInt64
}
