import QuantumChannel

/// One conformance case: a short declarative value naming what is checked and why, and the
/// check itself. Reading the catalogue reads the requirements.
package struct ConformanceCase: Sendable {
    /// Stable ID anchored in what it checks, e.g. `bb84/abort/qber-above-threshold/intercept-resend`.
    package let id: String
    package let title: String
    /// The requirement, in our own words.
    package let requirement: String
    package let level: RequirementLevel
    /// Spec clause or paper.
    package let reference: String
    package let tags: [String]
    /// Profiles that include the case.
    package let profiles: Set<Profile>
    let check: @Sendable (CaseContext) async throws -> CaseOutcome

    package init(id: String, title: String, requirement: String, level: RequirementLevel, reference: String, tags: [String] = [],
                profiles: Set<Profile> = [.quick, .ci, .full], check: @escaping @Sendable (CaseContext) async throws -> CaseOutcome) {
        self.id = id
        self.title = title
        self.requirement = requirement
        self.level = level
        self.reference = reference
        self.tags = tags
        self.profiles = profiles
        // A case ends early, with the crash or timeout verdict, when a session it ran says so
        // (``CaseContext/session(_:)``): no case can forget the survival check.
        self.check = { context in
            do { return try await check(context) } catch let ended as CaseEnded { return ended.outcome }
        }
    }
}

/// Thrown by ``CaseContext/session(_:)`` when a node crashed or hung: the case ends with that verdict.
struct CaseEnded: Error {
    let outcome: CaseOutcome
}

/// Named selections of cases.
package enum Profile: String, Sendable, Codable, CaseIterable {
    case quick, ci, full, etsi014
}

/// What a case's check found: whether the requirement held, and the evidence.
package struct CaseOutcome: Sendable {
    package var holds: Bool
    package var detail: String
    package var measurements: [String: Double]
    /// A verdict of its own (crash, timeout, unimplemented) instead of pass/fail.
    package var verdict: Verdict?
    /// The session the verdict rests on, for evidence (the capture, the decoded transcript).
    package var session: Session?

    package init(holds: Bool, detail: String, measurements: [String: Double] = [:], verdict: Verdict? = nil, session: Session? = nil) {
        self.holds = holds
        self.detail = detail
        self.measurements = measurements
        self.verdict = verdict
        self.session = session
    }

    /// The case cannot be judged on this target (it says why).
    package static func unimplemented(_ why: String) -> CaseOutcome {
        CaseOutcome(holds: false, detail: why, verdict: .unimplemented)
    }
}

/// What a case runs against.
package struct CaseContext: Sendable {
    package let target: any SessionTarget
    package let seed: UInt64
    /// The known-answer vectors directory, if there is one.
    package let vectors: String?
    /// The captures directory (with manifest.json), if there is one.
    package let captures: String?
    /// Every key ID delivered in the run so far, across sessions and cases.
    package let runKeys: RunKeyLedger

    package init(target: any SessionTarget, seed: UInt64, vectors: String? = nil, captures: String? = nil, runKeys: RunKeyLedger = RunKeyLedger()) {
        self.target = target
        self.seed = seed
        self.vectors = vectors
        self.captures = captures
        self.runKeys = runKeys
    }

    /// Runs one session as `plan` says. A node that crashed or hung ends the case there, with
    /// that verdict; the keys delivered join the run's ledger.
    package func session(_ plan: SessionPlan) async throws -> Session {
        let session = try await target.run(plan)
        if let ended = Catalogue.survival(session) { throw CaseEnded(outcome: ended) }
        if !session.malformedKeyOutput.isEmpty {
            throw CaseEnded(outcome: CaseOutcome(holds: false, detail: "a key output does not follow docs/targets.md: "
                                                 + session.malformedKeyOutput.joined(separator: "; "), session: session))
        }
        runKeys.record(session)
        return session
    }

    /// Runs one session on `scenario` with the case's seed and the given faults.
    package func session(_ scenario: Scenario, alice: ChannelFault? = nil, bob: ChannelFault? = nil, blocks: Int? = nil,
                        seed: UInt64? = nil) async throws -> Session {
        try await session(SessionPlan(scenario: scenario, seed: seed ?? self.seed, aliceFault: alice, bobFault: bob, blocks: blocks))
    }
}
